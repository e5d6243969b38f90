/** Model packages: a bundled model round-trips byte for byte and loads; damaged or hostile archives are refused before anything lands in the models folder. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { loadModelFiles } from '../../../../src/main/engine/models/store';
import { packModel, unpackModel } from '../../../../src/main/engine/models/package';
import { readZip, writeZip } from '../../../../src/main/engine/models/zip';
import { LEVEL_ESTIMATOR_FOLDERS } from '../../../../src/main/engine/models/level-code';
import { CHROMA_DENOISER_FOLDER, COMPANION_FOLDERS } from '../../../../src/main/engine/models/companions';
import { ROOT } from '../../../helpers/cli';

const BUNDLED = path.join(ROOT, 'resources', 'models', 'default-grey');
let tmp: string;
let models: string;

beforeAll(async () => {
  await initBackend();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'package-'));
  models = path.join(tmp, 'models');
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

/** The files under a folder, as sorted paths relative to it. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();
}

/** A package's entries, to be damaged by a test and written back. */
async function entriesOf(file: string) {
  return readZip(await fs.readFile(file), { maxEntries: 16, maxTotalBytes: 2 ** 30 });
}

describe('model packages', () => {
  it('packs a model into one file that unpacks to the same files, loads, and is named after the model', async () => {
    const file = path.join(tmp, 'grey.denoiser');
    await packModel(BUNDLED, file);
    const { dir, manifest } = await unpackModel(file, models);
    expect(dir).toBe(path.join(models, 'default-grey'));
    expect(manifest.name).toBe('default-grey');
    // Every file, the level estimator's in level/ too (the bundled grey model has one).
    const names = await filesUnder(BUNDLED);
    expect(names).toContain(`${LEVEL_ESTIMATOR_FOLDERS.luma}/model.json`);
    expect(await filesUnder(dir)).toEqual(names);
    const read = (d: string, name: string) => fs.readFile(path.join(d, name));
    for (const name of names) {
      if (path.basename(name) === 'denoiser.json') expect(JSON.parse(String(await read(dir, name))), name).toEqual(JSON.parse(String(await read(BUNDLED, name))));
      else expect((await read(dir, name)).equals(await read(BUNDLED, name)), name).toBe(true);
    }
    const model = await loadModelFiles(dir);
    expect(model.countParams()).toBe(manifest.trainableParams + (manifest.params - manifest.trainableParams));
    // Packing is deterministic: the same model gives the same bytes.
    const again = path.join(tmp, 'again.denoiser');
    await packModel(BUNDLED, again);
    expect((await fs.readFile(again)).equals(await fs.readFile(file))).toBe(true);
    // Unpacking again never replaces: a new name.
    expect((await unpackModel(file, models)).dir).toBe(path.join(models, 'default-grey-1'));
  });

  it('carries a model\'s companion models (level estimators, chroma denoiser) in their folders, and refuses one with files missing', async () => {
    // A model without any, given another model's files as its companions: packing moves files, it does not load them.
    const withLevel = path.join(tmp, 'with-level');
    const folders = [...COMPANION_FOLDERS];
    const own = (await fs.readdir(BUNDLED)).filter((n) => !folders.includes(n));
    for (const name of own) await fs.cp(path.join(BUNDLED, name), path.join(withLevel, name));
    for (const folder of folders) for (const name of own) await fs.cp(path.join(BUNDLED, name), path.join(withLevel, folder, name));
    const file = path.join(tmp, 'with-level.denoiser');
    await packModel(withLevel, file, 'with-level');
    const { dir } = await unpackModel(file, path.join(tmp, 'level-models'));
    for (const folder of folders) {
      expect((await fs.readdir(path.join(dir, folder))).sort()).toEqual(own.sort());
      for (const name of own) {
        expect((await fs.readFile(path.join(dir, folder, name))).equals(await fs.readFile(path.join(BUNDLED, name))), name).toBe(true);
      }
    }
    const entries = await entriesOf(file);
    const broken = path.join(tmp, 'broken-level.denoiser');
    await fs.writeFile(broken, writeZip(entries.filter((e) => e.name !== `${LEVEL_ESTIMATOR_FOLDERS.chroma}/model.json`)));
    await expect(unpackModel(broken, path.join(tmp, 'level-models'))).rejects.toThrow(/level-chroma\/model\.json is missing/);
    const noChroma = path.join(tmp, 'broken-chroma.denoiser');
    await fs.writeFile(noChroma, writeZip(entries.filter((e) => e.name !== `${CHROMA_DENOISER_FOLDER}/model.json`)));
    await expect(unpackModel(noChroma, path.join(tmp, 'level-models'))).rejects.toThrow(/chroma\/model\.json is missing/);
  });

  it('refuses hostile and damaged packages with a reason, leaving nothing behind', async () => {
    const good = path.join(tmp, 'good.denoiser');
    await packModel(BUNDLED, good, 'renamed');
    const entries = await entriesOf(good);
    const bytes = await fs.readFile(good);
    const cases: [string, Buffer, RegExp][] = [
      ['not a zip', Buffer.from('just text, not an archive at all'), /not a zip archive/],
      ['truncated', bytes.subarray(0, bytes.length - 40), /not a zip archive/],
      ['a path in a name', writeZip([...entries, { name: '../../evil.sh', data: Buffer.from('rm -rf') }]), /holds "\.\.\/\.\.\/evil\.sh"/],
      ['an extra file', writeZip([...entries, { name: 'notes.txt', data: Buffer.from('hi') }]), /holds "notes\.txt"/],
      ['a duplicate', writeZip([...entries, entries[0]]), /denoiser\.json twice/],
      ['no weights', writeZip(entries.filter((e) => !e.name.startsWith('weights-'))), /weights-[0-9a-f]+\.bin is missing/],
      ['no manifest', writeZip(entries.filter((e) => e.name !== 'denoiser.json')), /denoiser\.json is missing/],
      ['a foreign manifest', writeZip(entries.map((e) => (e.name === 'denoiser.json' ? { ...e, data: Buffer.from('{"format":"other"}') } : e))), /not a Denoise Lab manifest/],
      ['model.json naming a path', writeZip(entries.map((e) => (e.name === 'model.json' ? { ...e, data: Buffer.from('{"weightsManifest":[{"paths":["../x.bin"]}]}') } : e))), /does not name its weights files/],
    ];
    // A flipped byte inside the weights' compressed data: the checksum (or inflate) catches it.
    const flipped = Buffer.from(bytes);
    const at = flipped.indexOf(Buffer.from('weights-'), 0) + 60;
    flipped[at] ^= 0xff;
    cases.push(['a damaged weights file', flipped, /damaged|checksum|unpacks to/]);
    // A bomb: an entry that claims 100 bytes but inflates to 50 MB.
    const bomb = writeZip([{ name: 'denoiser.json', data: Buffer.alloc(50 * 2 ** 20, 32) }]);
    bomb.writeUInt32LE(100, bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24);
    cases.push(['a zip bomb', bomb, /unpacks to more than its stated size/]);
    for (const [what, data, reason] of cases) {
      const file = path.join(tmp, `${what}.denoiser`);
      await fs.writeFile(file, data);
      await expect(unpackModel(file, models), what).rejects.toThrow(reason);
      await expect(unpackModel(file, models), what).rejects.toThrow(file);
    }
    expect((await fs.readdir(models)).sort()).toEqual(['default-grey', 'default-grey-1']);
    expect((await unpackModel(good, models)).dir).toBe(path.join(models, 'renamed'));
  });

  it('reads back what it writes, with the sizes and checksum zlib gives, and stops at the size limit', async () => {
    const data = Buffer.from('x'.repeat(1000));
    const zip = writeZip([{ name: 'a.txt', data }]);
    // The local header's fields match what zlib itself produces for the same data.
    const packed = zlib.deflateRawSync(data, { level: 9 });
    expect(zip.readUInt32LE(18)).toBe(packed.length);
    expect(zip.readUInt32LE(14)).toBe(zlib.crc32(data));
    const [entry] = await readZip(zip, { maxEntries: 1, maxTotalBytes: 1000 });
    expect(Buffer.from(entry.data).equals(data)).toBe(true);
    await expect(readZip(zip, { maxEntries: 1, maxTotalBytes: 999 })).rejects.toThrow(/more than/);
  });
});
