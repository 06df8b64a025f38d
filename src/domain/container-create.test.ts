import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideCreate, type CreateFacts } from './container-create';
import { WharfError } from './errors';

const facts = (o: Partial<CreateFacts['config']> = {}): CreateFacts => ({
  id: 'a'.repeat(64),
  name: 'web',
  image: 'busybox',
  imageId: `sha256:${'b'.repeat(64)}`,
  created: '2026-01-01T00:00:00Z',
  config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo hi'], ...o } as CreateFacts['config'],
  hostConfig: {} as CreateFacts['hostConfig'],
  mounts: [],
});

test('create: the created fact carries path and args from entrypoint then cmd, then the joins', () => {
  const join = { type: 'container.network-joined', data: { id: 'a'.repeat(64), networkId: 'n' } } as never;
  const events = decideCreate(facts(), undefined, [join]);
  assert.equal(events.length, 2);
  const created = events[0] as { type: string; data: { path: string; args: string[]; name: string } };
  assert.equal(created.type, 'container.created');
  assert.equal(created.data.path, '/bin/sh');
  assert.deepEqual(created.data.args, ['-c', 'echo hi']);
  assert.equal(events[1], join);
});

test('create: a name in use, or no command at all, is refused with Docker words', () => {
  assert.throws(() => decideCreate(facts(), 'c'.repeat(64), []), (e) => e instanceof WharfError && e.kind === 'conflict' && e.message === `Conflict. The container name "/web" is already in use by container "${'c'.repeat(64)}". You have to remove (or rename) that container to be able to reuse that name.`);
  assert.throws(() => decideCreate(facts({ Entrypoint: null, Cmd: null }), undefined, []), (e) => e instanceof WharfError && e.kind === 'invalid-argument' && e.message === 'No command specified');
});
