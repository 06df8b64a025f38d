import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { ImageStore } from './store';

const root = mkdtempSync(path.join(os.tmpdir(), 'wharf-hold-'));
after(() => rmSync(root, { recursive: true, force: true }));

const chain = (store: ImageStore, id: string) => {
  mkdirSync(store.layerDir(id), { recursive: true });
  writeFileSync(path.join(store.layerDir(id), 'f'), 'x');
  return path.dirname(store.layerDir(id));
};

test('a removal asked for while a reader holds the chain waits for the last release, and then only if still unused', async () => {
  const store = new ImageStore(path.join(root, 's1'));
  await store.init();
  const a = chain(store, 'sha256:aa');
  const b = chain(store, 'sha256:bb');
  const free = chain(store, 'sha256:cc');
  const r1 = store.hold(['sha256:aa', 'sha256:bb']);
  const r2 = store.hold(['sha256:aa']);
  await store.removeChain('sha256:aa');
  await store.removeChain('sha256:bb', () => new Set(['sha256:bb'])); // in use again by the time it is free
  await store.removeChain('sha256:cc');
  assert.equal(existsSync(free), false, 'not held: removed at once');
  assert.deepEqual([existsSync(a), existsSync(b)], [true, true]);
  r1();
  r1(); // a second call lets go of nothing more
  await sleep(20);
  assert.equal(existsSync(a), true, 'still held by the second reader');
  assert.equal(existsSync(b), true, 'used again: kept');
  r2();
  await sleep(20);
  assert.equal(existsSync(a), false);
});
