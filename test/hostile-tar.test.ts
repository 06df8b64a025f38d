import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import * as tar from 'tar-stream';
import { ImageStore } from '../src/images/store';

// Layers from hostile archives (docker load and import hand them to the store): nothing may
// be written outside the layer's own directory, whatever the entries say.
const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-test-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Entry = { name: string; type?: 'file' | 'symlink' | 'link' | 'directory' | 'character-device'; body?: string; linkname?: string; devmajor?: number; devminor?: number };

async function tarOf(entries: Entry[]): Promise<Readable> {
  const pack = tar.pack();
  for (const e of entries) {
    const { body, ...h } = e;
    const header = { mode: h.type === 'directory' ? 0o755 : 0o644, ...h };
    if (!h.type || h.type === 'file') pack.entry(header, body ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  return pack as unknown as Readable;
}

/** Every path under a directory, relative. */
function tree(root: string, rel = ''): string[] {
  return readdirSync(path.join(root, rel)).flatMap((n) => {
    const p = path.join(rel, n);
    const st = lstatSync(path.join(root, p));
    return st.isDirectory() && !st.isSymbolicLink() ? [p, ...tree(root, p)] : [p];
  });
}

test('.., absolute paths, symlinks and hardlinks pointing out never write outside the layer', async () => {
  const store = new ImageStore(path.join(dir, 'store'));
  await store.init();
  const victim = path.join(dir, 'victim');
  const entries: Entry[] = [
    { name: '../escape-dotdot', body: 'x' },
    { name: `/${path.relative('/', victim)}-abs`, body: 'x' },
    { name: 'link-out', type: 'symlink', linkname: dir },
    { name: 'link-out/escape-through-symlink', body: 'x' },
    { name: 'abs-link', type: 'symlink', linkname: '/' },
    { name: `abs-link/${path.relative('/', dir)}/escape-abs-symlink`, body: 'x' },
    { name: 'hard', type: 'link', linkname: '../../../../etc/hostname' },
    { name: 'ok/file.txt', body: 'inside\n' },
    { name: 'dev-null', type: 'character-device', devmajor: 1, devminor: 3 },
  ];
  let layer: { chainId: string } | undefined;
  try {
    layer = await store.ingestLayer(await tarOf(entries));
  } catch {
    // Refusing the whole archive is as good as skipping the bad entries.
  }
  const outside = readdirSync(dir).filter((n) => n !== 'store');
  assert.deepEqual(outside, [], `written outside the store: ${outside.join(', ')}`);
  assert.ok(!existsSync(victim + '-abs'));
  assert.notEqual(readFileSync('/etc/hostname', 'utf8'), 'x');
  if (layer) {
    const root = store.layerDir(layer.chainId);
    assert.equal(readFileSync(path.join(root, 'ok', 'file.txt'), 'utf8'), 'inside\n');
    for (const p of tree(root)) {
      const st = lstatSync(path.join(root, p));
      if (st.isSymbolicLink()) continue; // a link is data: the container resolves it inside its own root
      assert.ok(path.resolve(root, p).startsWith(root + path.sep), p);
    }
  }
});
