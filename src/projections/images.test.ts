import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Envelope } from '../domain/envelope';
import type { WharfEvent } from '../domain/events';
import type { ImageState } from '../domain/image';
import { nanosToRfc3339 } from '../domain/time';
import { emptyImages, evolveImages } from './images';

const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
/** Records as the journal gives them: consecutive seqs, one second apart. */
const records = (...events: WharfEvent[]) => events.map((e, i) => ({ ...e, seq: BigInt(i + 1), time: T0 + BigInt(i) * 1_000_000_000n, v: 1, stream: '' }) as Envelope);
const given = (...events: WharfEvent[]): ImageState => records(...events).reduce((s, e) => evolveImages(s, e, nanosToRfc3339(e.time)), emptyImages());

const A = 'sha256:' + 'a'.repeat(64);
const B = 'sha256:' + 'b'.repeat(64);
const L1 = 'sha256:' + '1'.repeat(64);
const imported = (id: string): WharfEvent => ({
  type: 'image.imported',
  data: { id, created: '2026-01-01T00:00:00Z', layers: [L1], size: 1, config: {} as never, comment: '', history: [], source: '-' },
});
const tagged = (id: string, ref: string): WharfEvent => ({ type: 'image.tagged', data: { id, ref } });
const untagged = (id: string, ref: string): WharfEvent => ({ type: 'image.untagged', data: { id, ref } });

test('image.committed: the image view has the layers, their sizes, parent and author', () => {
  const parent = 'sha256:' + 'b'.repeat(64);
  const id = 'sha256:' + 'd'.repeat(64);
  const s = given({
    type: 'image.committed',
    data: {
      id, created: '2026-01-01T00:00:00Z', layers: ['sha256:' + '1'.repeat(64), 'sha256:' + '2'.repeat(64)], layerSizes: [100, 20], size: 120,
      config: { Cmd: ['sh'] }, comment: 'm', history: [{ created: '2025-01-01T00:00:00Z' }, { created: '2026-01-01T00:00:00Z', created_by: 'sh', comment: 'm' }],
      parent, author: 'me', container: 'c'.repeat(64),
    },
  });
  const img = s.images.get(id)!;
  assert.deepEqual(img.layerSizes, [100, 20]);
  assert.equal(img.parent, parent);
  assert.equal(img.author, 'me');
  assert.equal(img.history.length, 2);
  assert.deepEqual(img.tags, []);
  assert.equal((img as unknown as Record<string, unknown>).container, undefined);
});

test('tags: in the order given, each ref naming one image, with the time of the last tag', () => {
  const s = given(imported(A), imported(B), tagged(A, 'app:1'), tagged(A, 'app:2'), tagged(B, 'app:1'), tagged(A, 'app:1'), untagged(A, 'app:2'));
  assert.deepEqual(s.images.get(A)?.tags, ['app:1']);
  assert.deepEqual(s.images.get(B)?.tags, []);
  assert.deepEqual([...s.tags], [['app:1', A]]);
  assert.equal(s.images.get(A)?.lastTagTime, '2026-01-01T00:00:05.000000000Z');
  assert.equal(s.images.get(B)?.lastTagTime, '2026-01-01T00:00:04.000000000Z');
});

test('a ref tagged again after an untag goes last; a known one keeps its place', () => {
  const s = given(imported(A), tagged(A, 'x'), tagged(A, 'y'), tagged(A, 'z'), untagged(A, 'x'), tagged(A, 'x'), tagged(A, 'y'));
  assert.deepEqual(s.images.get(A)?.tags, ['y', 'z', 'x']);
});

test('an image made again keeps its tags', () => {
  const s = given(imported(A), tagged(A, 'app:1'), imported(A));
  assert.deepEqual(s.images.get(A)?.tags, ['app:1']);
  assert.equal(s.images.get(A)?.lastTagTime, '2026-01-01T00:00:01.000000000Z');
});

test('image.deleted drops the image and every ref that names it', () => {
  const s = given(imported(A), imported(B), tagged(A, 'a:1'), tagged(A, 'a:2'), tagged(B, 'b:1'), { type: 'image.deleted', data: { id: A } });
  assert.deepEqual([...s.images.keys()], [B]);
  assert.deepEqual([...s.tags], [['b:1', B]]);
});

test('pulls and pushes add repo digests, one per repository', () => {
  const pulled = (repoDigest: string): WharfEvent => ({
    type: 'image.pulled',
    data: { id: A, created: 't', layers: [L1], layerSizes: [1], size: 1, config: {} as never, comment: '', history: [], author: '', ref: 'r:5000/app:1', repoDigest },
  });
  const s = given(pulled('r:5000/app@sha256:1'), tagged(A, 'app:1'), pulled('r:5000/app@sha256:2'), {
    type: 'image.pushed',
    data: { id: A, ref: 'q:5000/app:1', repoDigest: 'q:5000/app@sha256:3', size: 1, layers: [] },
  });
  assert.deepEqual(s.images.get(A)?.repoDigests, ['r:5000/app@sha256:2', 'q:5000/app@sha256:3']);
  assert.deepEqual(s.images.get(A)?.tags, ['app:1']);
});

test('every record replaces the image it changes: an image read before stays as it was read', () => {
  const s = given(imported(A), tagged(A, 'x'));
  const seen = [s.images.get(A)!];
  const later = records(imported(A), tagged(A, 'x'), tagged(A, 'y'), untagged(A, 'x'), tagged(A, 'x'), {
    type: 'image.pushed',
    data: { id: A, ref: 'q:5000/app:1', repoDigest: 'q:5000/app@sha256:3', size: 1, layers: [] },
  }).slice(2);
  for (const e of later) {
    evolveImages(s, e, nanosToRfc3339(e.time));
    seen.push(s.images.get(A)!);
  }
  assert.deepEqual(seen.map((i) => i.tags), [['x'], ['x', 'y'], ['y'], ['y', 'x'], ['y', 'x']]);
  assert.deepEqual(seen.map((i) => i.repoDigests), [undefined, undefined, undefined, undefined, ['q:5000/app@sha256:3']]);
  assert.equal(new Set(seen).size, seen.length);
  // An older image evolved again starts a line of its own, leaving the newer one alone.
  const old = { images: new Map([[A, seen[1]]]), tags: new Map([['x', A], ['y', A]]) };
  evolveImages(old, tagged(A, 'z'), 't');
  assert.deepEqual(old.images.get(A)?.tags, ['x', 'y', 'z']);
  assert.deepEqual(s.images.get(A)?.tags, ['y', 'x']);
  assert.deepEqual(seen[1].tags, ['x', 'y']);
});

test('tags read as a plain array in JSON, with the keys in their order', () => {
  const s = given(imported(A), tagged(A, 'x'), tagged(A, 'y'));
  const img = s.images.get(A)!;
  assert.deepEqual(Object.keys(img), ['id', 'created', 'layers', 'size', 'config', 'comment', 'history', 'tags', 'lastTagTime']);
  assert.deepEqual(JSON.parse(JSON.stringify(img)).tags, ['x', 'y']);
  assert.deepEqual({ ...img }.tags, ['x', 'y']);
});
