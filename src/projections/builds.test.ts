import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WharfEvent } from '../domain/events';
import { evolveOpenBuilds } from './builds';

const started = (id: string): WharfEvent => ({ type: 'build.started', data: { id, context: 'sha256:c', dockerfile: 'Dockerfile', tags: [], buildArgs: [], noCache: false, steps: 1 } });
const given = (...events: WharfEvent[]) => [...events.reduce(evolveOpenBuilds, new Set<string>())];

test('a build is open from its start until it finishes or fails', () => {
  assert.deepEqual(given(started('b1'), started('b2'), started('b3')), ['b1', 'b2', 'b3']);
  assert.deepEqual(given(started('b1'), started('b2'), { type: 'build.finished', data: { id: 'b1', image: 'sha256:i', tags: [] } }, { type: 'build.failed', data: { id: 'b2', error: 'x' } }), []);
});
