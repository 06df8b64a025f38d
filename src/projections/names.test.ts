import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Envelope } from '../domain/envelope';
import type { WharfEvent } from '../domain/events';
import { evolveContainers, type ContainersView } from './containers';
import { evolveNames, type NamesView } from './names';

const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
/** Records as the journal gives them: consecutive seqs, one second apart. */
const records = (...events: WharfEvent[]) => events.map((e, i) => ({ ...e, seq: BigInt(i + 1), time: T0 + BigInt(i) * 1_000_000_000n, v: 1, stream: '' }) as Envelope);
/** The names after the records, each folded as Views does: the container before and after it. */
function given(...events: WharfEvent[]): NamesView {
  const containers: ContainersView = new Map();
  let names: NamesView = new Map();
  for (const e of records(...events)) {
    const before = containers.get(e.data.id);
    evolveContainers(containers, e);
    names = evolveNames(names, e.data.id, before, containers.get(e.data.id));
  }
  return names;
}

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const created = (id: string, name: string): WharfEvent => ({
  type: 'container.created',
  data: { id, name, image: 'busybox', imageId: 'sha256:' + '1'.repeat(64), created: '2026-01-01T00:00:00Z', path: 'sh', args: [], config: { Labels: {} } as never, hostConfig: {} as never },
});

test('each container name names its container', () => {
  assert.deepEqual([...given(created(A, '/web'), created(B, '/db'))], [['/web', A], ['/db', B]]);
});

test('a rename gives up the old name', () => {
  assert.deepEqual([...given(created(A, '/web'), { type: 'container.renamed', data: { id: A, oldName: '/web', name: '/site' } })], [['/site', A]]);
});

test('a destroyed container gives up its name, which another may take', () => {
  const names = given(created(A, '/web'), { type: 'container.destroyed', data: { id: A } }, created(B, '/web'));
  assert.deepEqual([...names], [['/web', B]]);
});

test('records that keep the name leave it as it is', () => {
  const names = given(created(A, '/web'), { type: 'container.start-requested', data: { id: A } }, { type: 'container.started', data: { id: A, pid: 1, conmonPid: 1, startedAt: 't' } });
  assert.deepEqual([...names], [['/web', A]]);
});
