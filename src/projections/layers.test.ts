import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Envelope } from '../domain/envelope';
import type { WharfEvent } from '../domain/events';
import { emptyLayers, evolveLayers } from './layers';

const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
/** Records as the journal gives them: consecutive seqs, one second apart. */
const records = (...events: WharfEvent[]) => events.map((e, i) => ({ ...e, seq: BigInt(i + 1), time: T0 + BigInt(i) * 1_000_000_000n, v: 1, stream: '' }) as Envelope);
const given = (...events: WharfEvent[]) => records(...events).reduce(evolveLayers, emptyLayers());

const pulled = (digest: string, chainId: string, repository: string, id = 'sha256:d1'): WharfEvent => ({ type: 'layer.pulled', data: { id, chainId, digest, size: 10, repository } });
const pushed = (repoDigest: string, layers: { diffId: string; digest: string; size: number }[]): WharfEvent => ({ type: 'image.pushed', data: { id: 'sha256:i', ref: 'x', repoDigest, size: 1, layers } });

test('a pulled layer: its digest, its chain, and where it came from', () => {
  const s = given(pulled('sha256:g1', 'sha256:c1', 'r/app'));
  assert.deepEqual([...s.byDigest], [['sha256:g1', { diffId: 'sha256:d1', chainId: 'sha256:c1', size: 10 }]]);
  assert.deepEqual([...s.pulledChains], ['sha256:c1']);
  assert.deepEqual([...s.sources], [['sha256:d1', [{ digest: 'sha256:g1', size: 10, repos: ['r/app'] }]]]);
});

test('the same blob from another repository, or pushed elsewhere, adds the repository once', () => {
  const s = given(pulled('sha256:g1', 'sha256:c1', 'r/app'), pulled('sha256:g1', 'sha256:c1', 'r/other'), pushed('q/app@sha256:m', [{ diffId: 'sha256:d1', digest: 'sha256:g1', size: 10 }, { diffId: 'sha256:d1', digest: 'sha256:g2', size: 11 }]), pulled('sha256:g1', 'sha256:c1', 'r/app'));
  assert.deepEqual(s.sources.get('sha256:d1'), [{ digest: 'sha256:g1', size: 10, repos: ['r/app', 'r/other', 'q/app'] }, { digest: 'sha256:g2', size: 11, repos: ['q/app'] }]);
});

test('a released chain takes the digests that unpack to it', () => {
  const s = given(pulled('sha256:g1', 'sha256:c1', 'r/app'), pulled('sha256:g2', 'sha256:c2', 'r/app', 'sha256:d2'), { type: 'layer.released', data: { id: 'sha256:d1', chainId: 'sha256:c1' } });
  assert.deepEqual([...s.byDigest.keys()], ['sha256:g2']);
  assert.deepEqual([...s.pulledChains], ['sha256:c2']);
});

test('a source list is replaced, never changed: one read before stays as it was', () => {
  const s = given(pulled('sha256:g1', 'sha256:c1', 'r/app'));
  const before = s.sources.get('sha256:d1')!;
  const [, e] = records(pulled('sha256:g1', 'sha256:c1', 'r/app'), pulled('sha256:g1', 'sha256:c1', 'r/other'));
  evolveLayers(s, e);
  assert.deepEqual(before, [{ digest: 'sha256:g1', size: 10, repos: ['r/app'] }]);
  assert.deepEqual(s.sources.get('sha256:d1')?.[0].repos, ['r/app', 'r/other']);
});
