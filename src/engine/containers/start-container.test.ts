import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import pino from 'pino';
import { KeyedLock } from '../lib/keyed-lock';
import { RestartTimers } from '../supervisors/restart-timers';
import { MemoryJournal } from '../../journal/memory-journal';
import { Views } from '../../projections/views';
import { StartError } from '../../runtime/runc-conmon';
import { startContainer, type StartContainerDeps } from './start-container';

// start over fakes of the ports it picks (StartContainerDeps): a journal in memory, the real
// views, and a runtime, rootfs store, layer store and volume store that only record what they
// were asked. It shows the shape of the operation: one intent, the work, one outcome, and on a
// failure the outcome that gives back what the intent held, without runc or a mount.

const IMAGE = `sha256:${'a'.repeat(64)}`;
const ID = 'c'.repeat(64);
let dir: string;
let calls: string[];

async function given(hostConfig: Record<string, unknown>, mounts: unknown[] = [], runtimeStart?: () => Promise<{ pid: number; conmonPid: number }>) {
  const journal = new MemoryJournal();
  await journal.open();
  const views = new Views();
  views.follow(journal);
  const config = { Hostname: 'cccccccccccc', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false, Env: [], Cmd: ['true'], Image: 'busybox', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {} };
  await journal.append([
    { type: 'image.imported', data: { id: IMAGE, created: '2026-01-01T00:00:00Z', layers: [`sha256:${'b'.repeat(64)}`], size: 1, config: {}, comment: '', history: [], source: '-' } },
    { type: 'volume.created', data: { id: 'data', driver: 'local', createdAt: '2026-01-01T00:00:00Z', labels: null, options: null } },
    { type: 'container.created', data: { id: ID, name: 'web', image: 'busybox', imageId: IMAGE, created: '2026-01-01T00:00:01Z', path: 'true', args: [], config: config as never, hostConfig: { RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, LogConfig: { Type: 'json-file', Config: {} }, ...hostConfig } as never, mounts: mounts as never } },
  ]);
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const ctx: StartContainerDeps = {
    journal,
    views,
    runtime: {
      // conmon is spawned with the intent and waits; start() runs the container under it.
      monitor: (o: { id: string }) => {
        let started = false;
        return {
          start: async () => {
            started = true;
            calls.push(`runtime.start ${o.id.slice(0, 4)}`);
            return runtimeStart ? runtimeStart() : { pid: 4242, conmonPid: 4241 };
          },
          // A conmon told to go on is past cancelling (as the real one).
          cancel: () => void (started || calls.push(`runtime.cancel ${o.id.slice(0, 4)}`)),
        };
      },
      abandon: async (id: string) => void calls.push(`runtime.abandon ${id.slice(0, 4)}`),
    } as never,
    storage: {
      prepare: async () => void calls.push('storage.prepare'),
      mount: async () => (calls.push('storage.mount'), rootfs),
      unmount: async (id: string) => void calls.push(`storage.unmount ${id.slice(0, 4)}`),
    } as never,
    images: { lowerDirs: () => [] } as never,
    volumes: {
      create: async (name: string) => void calls.push(`volumes.create ${name}`),
      isEmpty: async () => true,
      dataDir: (name: string) => path.join(dir, 'volumes', name),
    } as never,
    containersDir: path.join(dir, 'containers'),
    hostLimits: { hard: {}, caps: [] },
    log: pino({ level: 'silent' }),
    locks: new KeyedLock(),
    netDefaults: { mtu: 1500, defaultHostIp: '' },
    restarts: new RestartTimers(),
    quarantine: {} as never,
  };
  return { ctx, journal, views };
}

const types = async (journal: MemoryJournal) => {
  const out: string[][] = [];
  for await (const e of journal.read()) out.push([String(e.seq), e.type]);
  return out;
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-start-'));
  calls = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('start: one intent (with the volumes it mounts), the work, one outcome', async () => {
  const vol = { Type: 'volume', Name: 'data', Source: '', Destination: '/data', Driver: 'local', Mode: '', RW: true, Propagation: '' };
  const { ctx, journal, views } = await given({ NetworkMode: 'none' }, [vol]);
  await startContainer(ctx, 'web');
  const records = (await types(journal)).slice(3);
  // Two appends: the intent (one batch) then the outcome.
  assert.deepEqual(records.map((r) => r[1]), ['container.start-requested', 'volume.mounted', 'container.started']);
  assert.deepEqual(calls, ['storage.prepare', 'storage.mount', 'volumes.create data', 'runtime.start cccc']);
  const c = views.containers.get(ID)!;
  assert.equal(c.status, 'running');
  assert.equal(c.pid, 4242);
  // The network files the spec binds are written for the container.
  assert.match(fs.readFileSync(path.join(dir, 'containers', ID, 'hostname'), 'utf8'), /^cccccccccccc\n$/);
});

test('start: a runtime failure is the outcome, and what the intent held is given back', async () => {
  const vol = { Type: 'volume', Name: 'data', Source: '', Destination: '/data', Driver: 'local', Mode: '', RW: true, Propagation: '' };
  const { ctx, journal, views } = await given({ NetworkMode: 'none' }, [vol], () => Promise.reject(new StartError('time="x" level=error msg="exec: \\"nope\\": executable file not found in $PATH"')));
  await assert.rejects(startContainer(ctx, 'web'), /OCI runtime create failed: runc create failed: exec: \\?"nope\\?": executable file not found/);
  const records = (await types(journal)).slice(3).map((r) => r[1]);
  assert.deepEqual(records, ['container.start-requested', 'volume.mounted', 'container.start-failed', 'volume.unmounted']);
  assert.deepEqual(calls.slice(-2), ['runtime.abandon cccc', 'storage.unmount cccc']);
  const c = views.containers.get(ID)!;
  assert.equal(c.status, 'created');
  assert.equal(c.exitCode, 127);
});

test('start: a failure after the intent, before the spec (the image gone), cancels the conmon waiting for it', async () => {
  const { ctx, journal, views } = await given({ NetworkMode: 'none' });
  ctx.views.images.images.delete(IMAGE);
  await assert.rejects(startContainer(ctx, 'web'), /image .* is gone/);
  const records = (await types(journal)).slice(3).map((r) => r[1]);
  assert.deepEqual(records, ['container.start-requested', 'container.start-failed']);
  assert.deepEqual(calls, ['runtime.cancel cccc', 'runtime.abandon cccc', 'storage.unmount cccc']);
  assert.equal(views.containers.get(ID)!.status, 'created');
});

test('start: refused before anything is held (a network gone): requested and failed in one record, nothing touched', async () => {
  const { ctx, journal, views } = await given({ NetworkMode: 'gone' });
  await assert.rejects(startContainer(ctx, 'web'), /network gone not found/);
  const records = await types(journal);
  assert.deepEqual(records.slice(3).map((r) => r[1]), ['container.start-requested', 'container.start-failed']);
  assert.equal(records[3][0], String(BigInt(records[4][0]) - 1n));
  assert.deepEqual(calls, []);
  assert.equal(views.containers.get(ID)!.status, 'created');
});

test('start: a running container is not started again (304), and nothing is appended', async () => {
  const { ctx, journal } = await given({ NetworkMode: 'none' });
  await startContainer(ctx, 'web');
  const before = (await types(journal)).length;
  await assert.rejects(startContainer(ctx, 'web'), /Container already started/);
  assert.equal((await types(journal)).length, before);
});
