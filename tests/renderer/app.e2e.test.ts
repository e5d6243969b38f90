/**
 * The renderer end to end in Chromium, on the real engine: browse a dataset,
 * train and watch the charts, survive a killed engine process and resume,
 * drop a photo, denoise and export it. Screenshots of each view go to
 * out/screenshots and are checked for content.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/shared/contract';
import { ROOT } from '../helpers/cli';
import { startHarness, type Harness } from '../helpers/app-harness';
import { fakeFashionMnistFiles, manifestOf, serveFiles, type FakeServer } from '../helpers/fake-fashion-mnist';
import { writePattern } from '../helpers/images';

const SHOTS = path.join(ROOT, 'out', 'screenshots');
let tmp: string;
let harness: Harness;
let mirror: FakeServer;

async function screenshot(name: string, size: [number, number] = [1360, 880]): Promise<void> {
  const file = path.join(SHOTS, `${name}.png`);
  await harness.page.screenshot({ path: file });
  const stats = await sharp(file).stats();
  const meta = await sharp(file).metadata();
  expect([meta.width, meta.height]).toEqual(size);
  // A real view has structure: the pixel values vary, not one flat colour.
  expect(Math.max(...stats.channels.map((c) => c.stdev))).toBeGreaterThan(10);
}

async function waitForRun(predicate: (r: Run) => boolean, timeoutMs = 120_000): Promise<Run> {
  const start = Date.now();
  for (;;) {
    const runs = await harness.services.handlers['runs:list'](undefined);
    // Snapshot, as IPC would: the services hand out their live objects.
    const hit = runs.find(predicate);
    if (hit) return structuredClone(hit);
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for a run: ${JSON.stringify(runs.map((r) => [r.status, r.epochs.length]))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts the Train form's photo run as a tiny new model: depth 3, width 8, 2 epochs of 8 patches in batches of 4. */
async function startTinyPhotoRun(): Promise<void> {
  const { page } = harness;
  await page.getByLabel('Depth').fill('3');
  await page.getByLabel('Width').fill('8');
  await page.getByTestId('train-epochs').fill('2');
  await page.getByTestId('train-batch').fill('4');
  await page.getByTestId('train-patches').fill('8');
  await page.getByTestId('train-start').click();
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'e2e-'));
  await fs.mkdir(SHOTS, { recursive: true });
  const files = fakeFashionMnistFiles(1200, 200);
  mirror = await serveFiles(files);
  harness = await startHarness({
    userData: path.join(tmp, 'user data'), bundledModels: path.join(tmp, 'bundled'),
    fashionMnistMirror: { baseUrl: mirror.url, files: manifestOf(files) },
  });
});

afterAll(async () => {
  await harness?.close();
  await mirror?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('Denoise Lab in Chromium', () => {
  it('shows the engine backend and ONNX Runtime in the status bar', async () => {
    await expect.poll(() => harness.page.getByTestId('backend').textContent(), { timeout: 60_000 }).toMatch(/wasm|tensorflow|cpu/);
    expect(await harness.page.getByTestId('accelerator').textContent()).toBe('onnxruntime');
  });

  it('downloads Fashion-MNIST, browses and filters it, and inspects noise', async () => {
    const { page } = harness;
    await page.click('[data-view=datasets]');
    await page.getByTestId('download').click();
    await expect.poll(() => page.getByTestId('grid').getAttribute('data-total'), { timeout: 30_000 }).toBe('1200');
    await expect.poll(() => page.locator('[data-testid=grid] img').count()).toBeGreaterThan(20);
    await page.getByTestId('class-filter').selectOption({ label: 'Bag' });
    await expect.poll(async () => Number(await page.getByTestId('grid').getAttribute('data-total'))).toBeLessThan(300);
    await page.locator('[data-testid=grid] .cell').first().click();
    await expect.poll(() => page.getByTestId('inspector').locator('img').count()).toBe(2);
    expect(await page.getByTestId('inspector').textContent()).toMatch(/Bag/);
    await screenshot('datasets');
    // The notebook's view: 15 labelled images per row, 15 rows in view.
    await page.getByTestId('class-filter').selectOption({ label: 'All' });
    await page.getByTestId('grid-layout').selectOption('overview');
    await expect.poll(() => page.getByTestId('grid').getAttribute('data-columns')).toBe('15');
    await expect.poll(() => page.locator('[data-testid=grid] .label').count()).toBeGreaterThanOrEqual(15 * 15);
    await screenshot('datasets-overview');
    await page.getByTestId('grid-layout').selectOption('thumbnails');
  });

  it('adds a folder of photos through the folder picker', async () => {
    const { page } = harness;
    const folder = path.join(tmp, 'my photos');
    for (let i = 0; i < 3; i++) await writePattern(path.join(folder, `shot ${i}.png`), 96, 64, 3, i);
    harness.dialogs.folder = folder;
    await page.getByText('Add folder…').click();
    await expect.poll(() => page.getByTestId('grid').getAttribute('data-total')).toBe('3');
  });

  it('trains with live charts and per-epoch previews', async () => {
    const { page } = harness;
    await page.click('[data-view=train]');
    await page.getByTestId('train-dataset').selectOption('fashion-mnist');
    await page.getByTestId('train-arch').selectOption('seed');
    await page.getByTestId('train-epochs').fill('3');
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('run-epoch').textContent(), { timeout: 120_000 }).toBe('1');
    // The seed model's BCE loss and strided and transposed convs are in the ONNX gradient graph: its steps run on ONNX Runtime.
    expect(await page.getByTestId('run-engine').textContent()).toMatch(/onnxruntime, \d+ threads?/);
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(3);
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 120_000 }).toBe('completed');
    expect(Number(await page.getByTestId('chart-quality').getAttribute('data-points'))).toBe(6); // gain over noisy and SSIM, 3 epochs
    await page.getByTestId('preview').waitFor({ state: 'visible' });
    await screenshot('train');
  });

  it('keeps the window alive when the engine process dies mid-run, then resumes from the checkpoint', async () => {
    const { page, services } = harness;
    await page.getByTestId('train-epochs').fill('40');
    await page.getByTestId('train-start').click();
    const running = await waitForRun((r) => r.status === 'running' && r.epochs.length >= 1 && r.request.epochs === 40);
    expect(running.name).toBe('seed on Fashion-MNIST #2'); // the first run already has the plain name
    services.runs.processOf(running.id)!.kill(); // SIGKILL the run's engine process
    const paused = await waitForRun((r) => r.id === running.id && r.status === 'paused');
    expect(paused.lastError).toMatch(/stopped unexpectedly/);
    await page.getByTestId('run-resume').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => document.title)).toBe('Denoise Lab'); // the window is still here
    await page.getByTestId('run-resume').click();
    await waitForRun((r) => r.id === running.id && r.status === 'running' && r.epochs.length > paused.epochs.length);
    await page.getByTestId('run-pause').click();
    const stopped = await waitForRun((r) => r.id === running.id && r.status === 'paused');
    expect(stopped.epochs.length).toBeGreaterThan(paused.epochs.length);
  });

  it('fine-tunes a trained model: architecture from the model, learning rate warmed up', async () => {
    const { page } = harness;
    const base = (await harness.services.handle('models:list', undefined)).find((m) => m.arch === 'seed' && !m.bundled);
    expect(base).toBeTruthy();
    await page.getByTestId('train-init').selectOption(base!.id);
    expect(await page.getByTestId('train-arch').isDisabled()).toBe(true);
    expect(await page.getByTestId('train-warmup').inputValue()).toBe('200');
    // Before Start: the run timed with a few real steps, in an engine process of its own; no run is made.
    const before = (await harness.services.handle('runs:list', undefined)).length;
    await page.getByTestId('train-measure').click();
    await expect.poll(() => page.getByTestId('train-estimate').textContent(), { timeout: 60_000 }).toMatch(/^About .+ per epoch, .+ in all on this machine \(timed with \d+ real steps/);
    expect((await harness.services.handle('runs:list', undefined)).length).toBe(before);
    await page.getByTestId('train-epochs').fill('2'); // a changed form is not the one timed
    expect(await page.getByTestId('train-estimate').textContent()).toMatch(/^How long will it take/);
    await page.getByTestId('train-epochs').fill('1');
    await page.getByTestId('train-start').click();
    const done = await waitForRun((r) => r.request.initModelId === base!.id && r.status === 'completed');
    const baseRun = (await harness.services.handle('runs:list', undefined)).find((r) => r.modelDir === base!.dir);
    expect(done.name).toBe(`${baseRun!.name} fine-tuned on Fashion-MNIST`); // named after the run, without the list's "(run)" mark
    expect(done.epochs).toHaveLength(1);
    // The warm-up shows in the learning rate the epoch ended with: one short epoch stays far below the base rate of 2e-4.
    expect(done.epochs[0].lr).toBeGreaterThan(0);
    expect(done.epochs[0].lr).toBeLessThan(0.0002 / 4);
  });

  it('trains self-supervised on a folder of noisy photos, with its own charts and noisy/denoised previews', async () => {
    const { page } = harness;
    const folder = path.join(tmp, 'night shots');
    const rng = (s: number) => () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const next = rng(5);
    for (let i = 0; i < 4; i++) {
      const file = await writePattern(path.join(folder, `night ${i}.png`), 96, 96, 1, i);
      const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      for (let k = 0; k < data.length; k++) data[k] = Math.max(0, Math.min(255, Math.round(data[k] + 40 * (next() - 0.5))));
      await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).png().toFile(file + '.tmp.png');
      await fs.rename(file + '.tmp.png', file);
    }
    await page.click('[data-view=datasets]');
    harness.dialogs.folder = folder;
    await page.getByText('Add folder…').click();
    await expect.poll(() => page.getByTestId('grid').getAttribute('data-total')).toBe('4');
    await page.click('[data-view=train]');
    await page.getByTestId('train-init').selectOption({ index: 0 });
    const option = await page.getByTestId('train-dataset').locator('option', { hasText: 'night shots' }).getAttribute('value');
    await page.getByTestId('train-dataset').selectOption(option!);
    await page.getByTestId('train-dataset').dispatchEvent('change');
    await page.getByTestId('train-self-supervised').check();
    expect(await page.getByTestId('train-noise').count()).toBe(0); // no noise to choose: the photos are the noisy inputs
    await startTinyPhotoRun();
    const done = await waitForRun((r) => r.request.selfSupervised === true && r.status === 'completed');
    expect(done.epochs).toHaveLength(2);
    expect(done.epochs[0].psnr).toBeUndefined();
    expect(Number.isFinite(done.epochs[1].valLoss)).toBe(true);
    await expect.poll(() => page.getByTestId('run-self-supervised').isVisible()).toBe(true);
    expect(Number(await page.getByTestId('chart-quality').getAttribute('data-points'))).toBe(2);
    await page.getByTestId('preview').waitFor({ state: 'visible' });
    // The preview sheet shows noisy and denoised side by side (two 96-pixel columns), no clean column.
    const previewFile = Buffer.from(done.epochs[1].preview!.split('/media/file/')[1], 'base64url').toString();
    const sheet = await sharp(previewFile).metadata();
    expect([sheet.width, sheet.height]).toEqual([2 * 96 + 2, 96]);
    const model = (await harness.services.handle('models:list', undefined)).find((m) => m.dir === done.modelDir);
    expect(model?.purpose).toMatch(/self-supervised on the noisy photos/);
  });

  it('starts photo runs from the bundled model, and says when a run is not learning', async () => {
    const { page } = harness;
    // From here on the real bundled model is installed, as in the app.
    await fs.cp(path.join(ROOT, 'resources', 'models', 'default'), path.join(tmp, 'bundled', 'default'), { recursive: true });
    await page.click('[data-view=datasets]');
    await page.click('[data-view=train]');
    await expect.poll(() => page.getByTestId('train-init').locator('option', { hasText: 'default (ffdnet, grey)' }).count()).toBe(1);
    const option = await page.getByTestId('train-dataset').locator('option', { hasText: 'my photos' }).getAttribute('value');
    await page.getByTestId('train-dataset').selectOption(option!);
    expect(await page.getByTestId('train-init').inputValue()).toBe('bundled:default');
    await page.getByTestId('train-base-note').waitFor({ state: 'visible' });
    expect(await page.getByTestId('train-arch').isDisabled()).toBe(true);
    expect(await page.getByTestId('train-epochs').inputValue()).toBe('10');
    // A new tiny model at a tiny learning rate still returns (about) its input: the view says so.
    await page.getByTestId('train-init').selectOption({ index: 0 });
    await page.getByTestId('train-init').dispatchEvent('change');
    await page.getByTestId('train-self-supervised').uncheck();
    await page.getByLabel('Learning rate').fill('0.00001');
    await page.getByTestId('train-int8').check(); // and for 8-bit integer convolutions
    await startTinyPhotoRun();
    const done = await waitForRun((r) => r.request.lr === 0.00001 && r.status === 'completed');
    expect(done.request.int8).toBe(true);
    await expect.poll(() => page.getByTestId('run-advice').getAttribute('data-kind')).toBe('not-learning');
    expect(await page.getByTestId('run-advice').textContent()).toMatch(/Not learning yet: after 2 epochs/);
    const model = (await harness.services.handle('models:list', undefined)).find((m) => m.dir === done.modelDir);
    expect(model?.purpose).toMatch(/for 8-bit integer convolutions/);
    await page.getByTestId('train-int8').uncheck();
  });

  it('denoises a dropped photo, compares before and after at two qualities (the automatic one by size), and exports it', async () => {
    const { page } = harness;
    const photo = await writePattern(path.join(tmp, 'drops', 'noisy phötö.png'), 160, 120, 3, 4);
    await harness.dropFile(photo);
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(1);
    // Its thumbnail, rendered small by the engine host.
    await expect.poll(() => page.getByTestId('queue-thumb').evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]), { timeout: 30_000 }).toEqual([96, 72]);
    await page.locator('img[alt=denoised]').waitFor({ state: 'visible', timeout: 60_000 });
    // Left on Auto, a photo this small gets eight flipped and turned passes, and the line says so;
    // 'Fast' is one pass: the preview changes.
    await expect.poll(() => page.getByTestId('compare-source').textContent(), { timeout: 60_000 }).toMatch(/, 8 passes averaged\.$/);
    const eightPasses = await page.locator('img[alt=denoised]').getAttribute('src');
    await page.getByTestId('ensemble').selectOption('1');
    await expect.poll(() => page.locator('img[alt=denoised]').getAttribute('src'), { timeout: 60_000 }).not.toBe(eightPasses);
    await expect.poll(() => page.getByTestId('compare-source').textContent()).not.toMatch(/passes averaged/);
    await page.getByTestId('ensemble').selectOption('8');
    await page.getByTestId('denoise-all').click();
    await expect.poll(() => page.locator('[data-testid=queue-item] .badge').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    // Denoised: the comparison shows the full-resolution files, until the settings change.
    await expect.poll(() => page.getByTestId('compare-source').textContent()).toMatch(/Full resolution/);
    const fullSrc = (await page.locator('img[alt=denoised]').getAttribute('src')) ?? '';
    expect(Buffer.from(fullSrc.split('/media/file/')[1] ?? '', 'base64url').toString()).toMatch(/[/\\]denoised[/\\].*noisy phötö\.png$/);
    for (const alt of ['original', 'denoised']) {
      await expect.poll(() => page.locator(`img[alt=${alt}]`).evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(160);
    }
    await page.getByTestId('ensemble').selectOption('1');
    await expect.poll(() => page.getByTestId('compare-source').textContent()).toMatch(/settings changed/);
    await page.getByTestId('ensemble').selectOption('8');
    await expect.poll(() => page.getByTestId('compare-source').textContent()).toMatch(/Full resolution/);
    // Which model, at what level, in a sentence of its own.
    expect(await page.getByTestId('compare-source').textContent()).toMatch(/exported\. Model: default, σ ≈ [\d.]+ \(estimated\), 8 passes averaged\.$/);
    const exportDir = path.join(tmp, 'exported');
    harness.dialogs.folder = exportDir;
    await page.getByTestId('export-format').selectOption('jpeg');
    await page.getByTestId('export-quality').fill('80');
    await page.getByTestId('export-suffix').fill('-denoised');
    await page.getByTestId('export-all').click();
    await expect.poll(() => fs.readdir(exportDir).catch(() => []), { timeout: 30_000 }).toEqual(['noisy phötö-denoised.jpg']);
    expect((await sharp(path.join(exportDir, 'noisy phötö-denoised.jpg')).metadata()).width).toBe(160);
    expect(await page.getByTestId('exported').textContent()).toMatch(/^Exported 1 photo to /);
    // The export stays on screen after its notice, with a way to the files.
    await page.getByTestId('reveal').click();
    await expect.poll(() => harness.revealed).toEqual([path.join(exportDir, 'noisy phötö-denoised.jpg')]);
    // The next export's dialog opens where this one went; nothing is overwritten (a numbered name).
    await page.getByTestId('export-all').click();
    await expect.poll(() => fs.readdir(exportDir), { timeout: 30_000 }).toHaveLength(2);
    expect(harness.dialogs.starts.at(-1)).toBe(exportDir);
    // Two exports alike leave one notice, not the same words twice.
    await expect.poll(() => page.getByTestId('status-bar').getByRole('status').allTextContents()).toEqual(['Exported 1 photo']);
    // The bundled default is not labelled "default (default)"; each model says what it is for on hover.
    const option = page.getByTestId('model-select').locator('option', { hasText: /^default$/ });
    expect(await option.count()).toBe(1);
    expect(await option.getAttribute('title')).toMatch(/Colour photos/);
    await screenshot('denoise');
  });

  it('fits a portrait whole, never shows the previous photo for a new one, and clears the drop overlay after a folder drop', async () => {
    const { page } = harness;
    const portrait = await writePattern(path.join(tmp, 'drops', 'portrait.png'), 120, 300, 3, 6);
    await harness.dropFile(portrait);
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(2);
    await page.getByRole('button', { name: 'portrait.png' }).click();
    // At once: the new photo itself while its preview is computed, or its preview; never the landscape one before it.
    await expect.poll(async () => {
      const shown = await page.locator('.compare img').first().evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
      return shown[1] > shown[0];
    }).toBe(true);
    await page.locator('img[alt=denoised]').waitFor({ state: 'visible', timeout: 60_000 });
    const stage = await page.locator('[aria-label="before and after"]').boundingBox();
    const img = await page.locator('img[alt=denoised]').boundingBox();
    // Fit: the whole photo inside the stage, its shape kept.
    expect(img!.y).toBeGreaterThanOrEqual(stage!.y - 1);
    expect(img!.y + img!.height).toBeLessThanOrEqual(stage!.y + stage!.height + 1);
    expect(img!.height / img!.width).toBeCloseTo(300 / 120, 1);
    // B flips to the whole original and back.
    await page.keyboard.press('b');
    expect(await page.getByTestId('toggle-original').getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('b');
    expect(await page.getByTestId('toggle-original').getAttribute('aria-pressed')).toBe('false');
    // A folder dropped on the Datasets view leaves no "drop to denoise" overlay behind.
    await page.click('[data-view=datasets]');
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['x'], 'folder'));
      document.querySelector('.shell')!.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      // The Datasets view takes the drop itself (and stops it there).
      document.querySelector('[aria-label=Datasets]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => page.locator('.drop').count()).toBe(0);
    await page.click('[data-view=denoise]');
    // Photos come off the queue one by one or all at once; the files stay where they are.
    await page.getByRole('checkbox', { name: 'select portrait.png' }).check();
    await page.locator('body').click({ position: { x: 5, y: 5 } }); // focus off the checkbox: Delete is the queue's key
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(1);
    await page.getByTestId('clear-queue').click();
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(0);
    expect((await harness.services.handle('denoise:add', { paths: [portrait] })).map((i) => i.name)).toEqual(['portrait.png']);
    await fs.access(portrait);
  });

  it('lists models in plain words with their speed here and scores, and exports and imports one as a single .denoiser file', async () => {
    const { page } = harness;
    // The bundled grey model, with the test-set scores its manifest carries.
    await fs.cp(path.join(ROOT, 'resources', 'models', 'default-grey'), path.join(tmp, 'bundled', 'default-grey'), { recursive: true });
    const manifest = JSON.parse(await fs.readFile(path.join(tmp, 'bundled', 'default-grey', 'denoiser.json'), 'utf8'));
    await page.click('[data-view=models]');
    await expect.poll(() => page.getByTestId('models-table').locator('tbody tr').count()).toBeGreaterThanOrEqual(3);
    const table = page.getByTestId('models-table');
    expect(await table.locator('thead').textContent()).not.toMatch(/FLOPs|Architecture/);
    expect(await table.getByTestId('model-noise').allTextContents()).toContain("The notebook's noise (factor 0.3)");
    expect(await table.getByTestId('model-noise').allTextContents()).toContain('Gaussian, σ 0–55');
    const greyRow = table.locator('tbody tr', { hasText: 'default-grey' });
    expect(await greyRow.getByTestId('model-benchmark').textContent()).toBe(`BSD68 σ=25: ${manifest.metrics.testSets.BSD68['25'][0].toFixed(2)} dB`);
    // The model that denoised the dropped 160×120 photo was timed on it: too small a photo to scale up
    // to 12 MP or to estimate other models from, so the row gives that photo's own time.
    const speeds = (await table.getByTestId('model-speed').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(speeds.filter((t) => /^0\.02 MP photo: [\d.]+ s \(measured\)$/.test(t))).toHaveLength(1);
    expect(speeds.filter((t) => t === 'not timed yet')).toHaveLength(speeds.length - 1);
    await screenshot('models');

    // Export a trained model as one file, delete it, and import it back.
    const rowOf = (name: RegExp) => table.locator('tbody tr').filter({ has: page.locator('td:first-child', { hasText: name }) });
    const row = rowOf(/^\s*seed on Fashion-MNIST #2 \(run\)/);
    expect(await row.count()).toBe(1);
    const file = path.join(tmp, 'packages', 'seed on Fashion-MNIST #2.denoiser');
    await fs.mkdir(path.dirname(file), { recursive: true });
    harness.dialogs.file = file;
    await row.getByTestId('model-export').click();
    await expect.poll(() => fs.stat(file).then((st) => st.isFile(), () => false)).toBe(true);
    await row.getByTestId('delete').click();
    await row.getByTestId('confirm-delete').click();
    await expect.poll(() => row.count()).toBe(0);
    await page.getByTestId('model-import').click();
    await expect.poll(() => rowOf(/^\s*seed on Fashion-MNIST #2\s*$/).count()).toBe(1);
    const imported = (await harness.services.handle('models:list', undefined)).find((m) => m.name === 'seed on Fashion-MNIST #2');
    expect(imported?.id).toMatch(/^user:/);
    expect((await fs.readdir(imported!.dir)).sort()).toEqual(expect.arrayContaining(['denoiser.json', 'model.json']));
    expect(await fs.readdir(imported!.dir)).not.toContain('checkpoints');
  });

  for (const [width, height] of [[960, 640], [1024, 700], [1440, 900]] as const) {
    it(`lays every view out at ${width}×${height} with nothing cut off`, async () => {
      const { page } = harness;
      await page.setViewportSize({ width, height });
      try {
        for (const view of ['denoise', 'datasets', 'train', 'models']) {
          await page.click(`[data-view=${view}]`);
          await page.waitForTimeout(300);
          const cut = await page.evaluate(() => {
            const out: string[] = [];
            if (document.documentElement.scrollWidth > innerWidth) out.push(`page ${document.documentElement.scrollWidth} px wide`);
            for (const el of document.querySelectorAll<HTMLElement>('button, input, select, label, h2, th, td, canvas, .badge')) {
              const r = el.getBoundingClientRect();
              if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
              if (r.left < -1 || r.right > innerWidth + 1) out.push(`${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 30)}" spans ${Math.round(r.left)}–${Math.round(r.right)}`);
            }
            return out;
          });
          expect(cut, `${view} at ${width}×${height}`).toEqual([]);
          if (width !== 960) await screenshot(`${view}-${width}x${height}`, [width, height]);
        }
      } finally {
        await page.setViewportSize({ width: 1360, height: 880 });
      }
    });
  }
});
