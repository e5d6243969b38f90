/** Image folders: a sorted recursive scan that skips hidden entries and follows links to image files, and a seeded split. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanImageFolder, splitFiles } from '../../../../src/main/engine/data/image-folder';

describe('scanImageFolder', () => {
  it('finds images in sub-folders and through links to files, not hidden or other files, nor broken links', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dlab-scan-'));
    const elsewhere = await fs.mkdtemp(path.join(os.tmpdir(), 'dlab-elsewhere-'));
    await fs.mkdir(path.join(root, 'sub'));
    await fs.mkdir(path.join(root, '.hidden'));
    for (const f of ['b.png', 'sub/a.JPG', '.hidden/c.png', 'notes.txt']) await fs.writeFile(path.join(root, f), 'x');
    await fs.writeFile(path.join(elsewhere, 'linked.jpg'), 'xyz');
    await fs.symlink(path.join(elsewhere, 'linked.jpg'), path.join(root, 'linked.jpg'));
    await fs.symlink(path.join(elsewhere, 'missing.png'), path.join(root, 'broken.png'));
    await fs.symlink(elsewhere, path.join(root, 'folder-link.png'));
    const files = await scanImageFolder(root);
    expect(files.map((f) => path.relative(root, f.path))).toEqual(['b.png', 'linked.jpg', path.join('sub', 'a.JPG')]);
    expect(files[1].size).toBe(3);
  });
});

describe('splitFiles', () => {
  it('is the same split for the same seed, and keeps every file once', () => {
    const files = Array.from({ length: 50 }, (_, i) => `f${i}`);
    const a = splitFiles(files, 0.1, 0);
    expect(splitFiles(files, 0.1, 0)).toEqual(a);
    expect(a.val).toHaveLength(5);
    expect([...a.train, ...a.val].sort()).toEqual([...files].sort());
    expect(splitFiles(files, 0.1, 1).val).not.toEqual(a.val);
  });
});
