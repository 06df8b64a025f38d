import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WharfEvent } from '../domain/events';
import type { ImageView } from '../domain/image';
import { chainIds } from '../domain/layer-chain';
import { emptyRemoved, evolveRemoved } from './removed';

const L1 = 'sha256:' + '1'.repeat(64);
const L2 = 'sha256:' + '2'.repeat(64);
const IMG = 'sha256:' + 'a'.repeat(64);
const images = new Map([[IMG, { id: IMG, layers: [L1, L2] } as ImageView]]);
const given = (...events: WharfEvent[]) => events.reduce((r, e) => evolveRemoved(r, e, images), emptyRemoved());
const sorted = (s: Set<string>) => [...s].sort();

test('destroyed containers and removed volumes are recorded as removed', () => {
  const r = given({ type: 'container.destroyed', data: { id: 'c1' } }, { type: 'volume.removed', data: { id: 'v1' } });
  assert.deepEqual([...r.containers], ['c1']);
  assert.deepEqual([...r.volumes], ['v1']);
});

test('a deleted image: its config blob, its layers and their chains', () => {
  const r = given({ type: 'image.deleted', data: { id: IMG } });
  assert.deepEqual(sorted(r.blobs), [IMG, L1, L2].sort());
  assert.deepEqual(sorted(r.chains), chainIds([L1, L2]).sort());
});

test('a released layer: its blob and its chain; an image never seen: its id only', () => {
  const r = given({ type: 'layer.released', data: { id: 'sha256:d', chainId: 'sha256:c' } }, { type: 'image.deleted', data: { id: 'sha256:zz' } });
  assert.deepEqual(sorted(r.blobs), ['sha256:d', 'sha256:zz']);
  assert.deepEqual([...r.chains], ['sha256:c']);
});

test('other records remove nothing', () => {
  const r = given({ type: 'container.created', data: { id: 'c' } } as WharfEvent, { type: 'volume.remove-requested', data: { id: 'v' } });
  assert.deepEqual(r, emptyRemoved());
});
