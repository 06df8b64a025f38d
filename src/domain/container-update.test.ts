import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evolveContainer, type ContainerView } from './container';
import { decideUpdate } from './container-update';
import { WharfError } from './errors';
import type { WharfEvent } from './events';

// given events / when update / then events (or a refusal), and the evolve of what it records
const ID = 'c'.repeat(64);
const created = (hostConfig: Record<string, unknown> = {}): WharfEvent => ({
  type: 'container.created',
  data: {
    id: ID, name: 'web', image: 'busybox', imageId: 'sha256:' + 'b'.repeat(64), created: '2026-01-01T00:00:00.000000000Z',
    path: 'sleep', args: ['10'],
    config: { Hostname: 'cccccccccccc', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false, Env: [], Cmd: ['sleep', '10'], Image: 'busybox', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {} },
    hostConfig: { AutoRemove: false, NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, Privileged: false, ReadonlyRootfs: false, Binds: null, ...hostConfig },
  },
});

function given(...events: WharfEvent[]): ContainerView {
  let c: ContainerView | undefined;
  events.forEach((e, i) => (c = evolveContainer(c, e, BigInt(i + 1))));
  assert.ok(c);
  return c;
}

function refusal(fn: () => unknown): WharfError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WharfError);
    return e;
  }
  assert.fail('expected a refusal');
}

// What the docker CLI sends for "docker update --memory 64m --cpu-shares 512 c": every field, zero when not given.
const cliBody = (o: Record<string, unknown>) => ({
  CpuShares: 0, Memory: 0, NanoCpus: 0, CpuPeriod: 0, CpuQuota: 0, CpusetCpus: '', CpusetMems: '', MemorySwap: 0, PidsLimit: null,
  RestartPolicy: { Name: '', MaximumRetryCount: 0 }, ...o,
});

test('only the fields given are recorded, and evolve merges them into HostConfig', () => {
  const c = given(created());
  const events = decideUpdate(c, cliBody({ Memory: 64 << 20, CpuShares: 512, PidsLimit: 20, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } }));
  assert.deepEqual(events, [
    { type: 'container.updated', data: { id: ID, Memory: 64 << 20, CpuShares: 512, PidsLimit: 20, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } } },
  ]);
  const after = evolveContainer(c, events[0], 2n)!;
  assert.equal(after.hostConfig.Memory, 64 << 20);
  assert.equal(after.hostConfig.CpuShares, 512);
  assert.deepEqual(after.hostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.equal(after.hostConfig.NetworkMode, 'default');
});

test('a memory limit above the swap in force needs a new swap (Docker\'s rule); the swap in force is kept', () => {
  const c = given(created({ Memory: 16 << 20, MemorySwap: 0 }));
  assert.match(refusal(() => decideUpdate(c, cliBody({ Memory: 64 << 20 }))).message, /Memory limit should be smaller than already set memoryswap limit/);
  assert.deepEqual(decideUpdate(c, cliBody({ Memory: 24 << 20 }))[0].data, { id: ID, Memory: 24 << 20, MemorySwap: 32 << 20 });
  assert.deepEqual(decideUpdate(c, cliBody({ Memory: 64 << 20, MemorySwap: 128 << 20 }))[0].data, { id: ID, Memory: 64 << 20, MemorySwap: 128 << 20 });
});

test('NanoCpus and CPU period/quota exclude each other; AutoRemove forbids a restart policy', () => {
  const withPeriod = given(created({ CpuPeriod: 100000 }));
  assert.equal(refusal(() => decideUpdate(withPeriod, cliBody({ NanoCpus: 5e8 }))).kind, 'conflict');
  const withNano = given(created({ NanoCpus: 5e8 }));
  assert.match(refusal(() => decideUpdate(withNano, cliBody({ CpuQuota: 50000 }))).message, /CPU Quota cannot be updated as NanoCPUs has already been set/);
  const rm = given(created({ AutoRemove: true }));
  assert.match(refusal(() => decideUpdate(rm, cliBody({ RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } }))).message, /AutoRemove is enabled/);
  assert.equal(refusal(() => decideUpdate(rm, cliBody({ RestartPolicy: { Name: 'sometimes' } }))).kind, 'invalid-argument');
});

test('pids limit 0 or -1 means unlimited, recorded as 0', () => {
  const c = given(created({ PidsLimit: 10 }));
  assert.deepEqual(decideUpdate(c, cliBody({ PidsLimit: -1 }))[0].data, { id: ID, PidsLimit: 0 });
});
