import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { BUSYBOX_TAR, eventually, TestDaemon } from './helpers/wharfd';

// kill -9 of the daemon in the middle of every effectful operation (WHARF_CRASH_AT makes the
// daemon SIGKILL itself at the named point, between the operation's intent and its outcome),
// then a boot without it on the same data root: what a user sees must be settled and true.

/** A daemon that dies at `point`, with busybox imported (unless the import is what crashes). */
async function crashingDaemon(t: TestContext, point: string, o: { importBusybox?: boolean } = {}): Promise<TestDaemon> {
  const d = new TestDaemon();
  t.after(() => d.cleanup());
  await d.start([], { WHARF_CRASH_AT: point });
  if (o.importBusybox !== false) d.importBusybox();
  return d;
}

/** Run the docker command that hits the crash point: it fails, the daemon dies; boot it again without the crash. */
async function crashOn(d: TestDaemon, args: string[]): Promise<void> {
  const r = d.docker(args, { timeoutMs: 20_000 });
  assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail as the daemon dies: ${r.stdout}`);
  await d.exited();
  await d.start();
}

const runc = (d: TestDaemon, ...args: string[]) => spawnSync('runc', ['--root', path.join(d.execRoot, 'runc'), ...args], { encoding: 'utf8' });

function runcStatus(d: TestDaemon, id: string): string | undefined {
  const r = runc(d, 'state', id);
  return r.status === 0 ? (JSON.parse(r.stdout) as { status: string }).status : undefined;
}

function inspect(d: TestDaemon, ref: string): { Id: string; Name: string; State: { Status: string; Running: boolean; Paused: boolean; ExitCode: number; Error: string }; HostConfig: Record<string, unknown>; RestartCount: number } {
  return JSON.parse(d.dockerOk(['inspect', ref]))[0];
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && m.startsWith(dir + '/'));
}

function events(d: TestDaemon, filters: string[] = []): { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } }[] {
  const out = d.dockerOk(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--format', '{{json .}}', ...filters.flatMap((f) => ['--filter', f])]);
  return out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const actionsOf = (d: TestDaemon, name: string) => events(d, [`container=${name}`]).map((e) => e.Action);

/**
 * What every recovered daemon must show: no container removing or half-started, each
 * container's state as runc has it, mounts only of running containers, and no files of
 * containers that are gone.
 */
async function assertSettled(d: TestDaemon): Promise<void> {
  const ids = d.dockerOk(['ps', '-aq', '--no-trunc']).split('\n').filter(Boolean);
  const live = new Set<string>();
  for (const id of ids) {
    const c = inspect(d, id);
    assert.notEqual(c.State.Status, 'removing', `${c.Name} stuck in removal`);
    const actual = runcStatus(d, id);
    if (actual === 'running' || actual === 'paused') {
      assert.equal(c.State.Status, actual, `${c.Name}: runc says ${actual}`);
      live.add(id);
    } else {
      assert.ok(['created', 'exited', 'restarting'].includes(c.State.Status), `${c.Name} is ${c.State.Status} but runc says ${actual}`);
    }
  }
  await eventually(() => mountsUnder(d.dir).every((m) => [...live].some((id) => m === path.join(d.dataRoot, 'overlay', id, 'merged'))), 5000, 'only running containers mounted');
  const dirs = [path.join(d.dataRoot, 'overlay'), path.join(d.dataRoot, 'containers'), path.join(d.execRoot, 'bundles')];
  // Besides, the id the next create gets (chosen ahead: its directory marked, its bundle ready).
  const ahead = () => (existsSync(dirs[1]) ? readdirSync(dirs[1]).filter((f) => !ids.includes(f) && existsSync(path.join(dirs[1], f, 'unclaimed'))) : []);
  await eventually(() => {
    const next = ahead();
    return next.length <= 1 && dirs.every((dir) => !existsSync(dir) || readdirSync(dir).every((f) => ids.includes(f) || next.includes(f)));
  }, 5000, 'no files of removed containers (and one id chosen ahead at most)');
}

/** Blobs and unpacked layers that no image uses were swept. */
function assertNoOrphanImageFiles(d: TestDaemon): void {
  const images = d.dockerOk(['images', '-aq', '--no-trunc']).split('\n').filter(Boolean);
  const used = new Set<string>();
  const chains = new Set<string>();
  for (const id of images) {
    const img = JSON.parse(d.dockerOk(['image', 'inspect', id]))[0] as { Id: string; RootFS: { Layers: string[] } };
    used.add(img.Id.slice(7));
    for (const l of img.RootFS.Layers) used.add(l.slice(7));
    let chain = '';
    for (const l of img.RootFS.Layers) {
      chain = chain ? createHash('sha256').update(`sha256:${chain} ${l}`).digest('hex') : l.slice(7);
      chains.add(chain);
    }
  }
  const blobs = readdirSync(path.join(d.dataRoot, 'image', 'blobs', 'sha256'));
  assert.deepEqual(blobs.filter((b) => !used.has(b)), [], 'orphan blobs');
  const layers = readdirSync(path.join(d.dataRoot, 'image', 'layers'));
  assert.deepEqual(layers.filter((l) => !chains.has(l)), [], 'orphan layers');
  assert.deepEqual(readdirSync(path.join(d.dataRoot, 'image', 'tmp')), [], 'temp files');
}

test('create: a crash before the created event leaves nothing; after it, a container that starts', async (t) => {
  await t.test('before the event', async (t) => {
    const d = await crashingDaemon(t, 'create.before-event');
    await crashOn(d, ['create', '--name', 'ctr', 'busybox', 'sleep', '300']);
    assert.equal(d.dockerOk(['ps', '-aq']), '');
    d.dockerOk(['create', '--name', 'ctr', 'busybox', 'sleep', '300']);
    await assertSettled(d);
  });
  await t.test('after the event', async (t) => {
    const d = await crashingDaemon(t, 'create.after-event');
    await crashOn(d, ['create', '--name', 'ctr', 'busybox', 'sleep', '300']);
    assert.equal(inspect(d, 'ctr').State.Status, 'created');
    d.dockerOk(['start', 'ctr']); // its root dirs are made at start
    assert.equal(inspect(d, 'ctr').State.Status, 'running');
    await assertSettled(d);
    assert.deepEqual(actionsOf(d, 'ctr'), ['create', 'start']);
  });
});

test('start: crash after start-requested fails the start; after conmon started, the container is adopted', async (t) => {
  await t.test('after the intent', async (t) => {
    const d = await crashingDaemon(t, 'start.after-intent');
    d.dockerOk(['create', '--name', 'ctr', 'busybox', 'sleep', '300']);
    await crashOn(d, ['start', 'ctr']);
    const c = inspect(d, 'ctr');
    assert.equal(c.State.Status, 'created');
    assert.match(c.State.Error, /daemon stopped while the container was starting/);
    await assertSettled(d);
    d.dockerOk(['start', 'ctr']);
    assert.equal(inspect(d, 'ctr').State.Status, 'running');
    await assertSettled(d);
  });
  await t.test('before runc start (runc has the container created, conmon lives on): the start failed', async (t) => {
    const d = await crashingDaemon(t, 'start.before-runc-start');
    d.dockerOk(['create', '--name', 'ctr', 'busybox', 'sleep', '300']);
    await crashOn(d, ['start', 'ctr']);
    const c = inspect(d, 'ctr');
    assert.equal(c.State.Status, 'created');
    assert.match(c.State.Error, /daemon stopped while the container was starting/);
    assert.equal(runcStatus(d, c.Id), undefined);
    // The exit conmon wrote for the killed, never-run process is gone too: it must not read as the next start's end.
    await eventually(() => !existsSync(path.join(d.execRoot, 'exits', c.Id)), 5000, 'no stale exit file');
    await assertSettled(d);
    // So a next start cut before conmon is still a start that failed, never "exited" (the fault test's find).
    await d.kill9();
    await d.start([], { WHARF_CRASH_AT: 'start.after-intent' });
    await crashOn(d, ['start', 'ctr']);
    assert.equal(inspect(d, 'ctr').State.Status, 'created');
    assert.deepEqual(actionsOf(d, 'ctr'), ['create']);
    d.dockerOk(['start', 'ctr']);
    assert.equal(inspect(d, 'ctr').State.Status, 'running');
    await assertSettled(d);
  });
  await t.test('during runc start (the killed daemon\'s runc start finishes after it): adopted as running', async (t) => {
    const d = await crashingDaemon(t, 'start.during-runc-start');
    d.dockerOk(['create', '--name', 'ctr', 'busybox', 'sleep', '300']);
    await crashOn(d, ['start', 'ctr']);
    const c = inspect(d, 'ctr');
    assert.equal(c.State.Status, 'running');
    assert.equal(runcStatus(d, c.Id), 'running');
    await assertSettled(d);
    assert.deepEqual(actionsOf(d, 'ctr'), ['create', 'start']);
    assert.equal(d.docker(['start', 'ctr']).code, 0); // already started: docker start says nothing is wrong
    d.dockerOk(['stop', '-t', '0', 'ctr']);
    assert.equal(inspect(d, 'ctr').State.Status, 'exited');
    await assertSettled(d);
  });
  await t.test('after conmon started', async (t) => {
    const d = await crashingDaemon(t, 'start.after-conmon');
    d.dockerOk(['create', '--name', 'ctr', 'busybox', 'sleep', '300']);
    await crashOn(d, ['start', 'ctr']);
    assert.equal(inspect(d, 'ctr').State.Status, 'running');
    await assertSettled(d);
    assert.deepEqual(actionsOf(d, 'ctr'), ['create', 'start']);
    d.dockerOk(['stop', '-t', '0', 'ctr']);
    assert.equal(inspect(d, 'ctr').State.Status, 'exited');
    await assertSettled(d);
  });
});

for (const [op, point] of [['stop', 'stop.after-intent'], ['kill', 'kill.after-intent']]) {
  test(`${op}: a crash before the signal leaves the container running, and ${op} works again`, async (t) => {
    const d = await crashingDaemon(t, point);
    d.dockerOk(['run', '-d', '--name', 'ctr', 'busybox', 'sleep', '300']);
    await crashOn(d, op === 'stop' ? ['stop', '-t', '1', 'ctr'] : ['kill', 'ctr']);
    assert.equal(inspect(d, 'ctr').State.Status, 'running');
    await assertSettled(d);
    d.dockerOk(op === 'stop' ? ['stop', '-t', '1', 'ctr'] : ['kill', 'ctr']);
    await eventually(() => inspect(d, 'ctr').State.Status === 'exited', 10_000, 'exited');
    assert.equal(inspect(d, 'ctr').State.ExitCode, 137);
    await assertSettled(d);
  });
}

for (const point of ['remove.after-intent', 'remove.after-release']) {
  test(`rm: a crash at ${point} is finished at boot (running and stopped containers)`, async (t) => {
    const d = await crashingDaemon(t, point);
    d.dockerOk(['run', '-d', '--name', 'up', 'busybox', 'sleep', '300']);
    await crashOn(d, ['rm', '-f', 'up']);
    assert.equal(d.docker(['inspect', 'up']).code, 1);
    assert.equal(d.dockerOk(['ps', '-aq']), '');
    await assertSettled(d);
    assert.deepEqual(actionsOf(d, 'up').slice(-2), ['die', 'destroy']);
    // Nothing left running under a monitor.
    d.dockerOk(['create', '--name', 'idle', 'busybox', 'true']);
    d.dockerOk(['rm', 'idle']); // survives: the crash point is only hit once per daemon life
    await assertSettled(d);
  });
}

test('rm of a created container: crash after remove-requested', async (t) => {
  const d = await crashingDaemon(t, 'remove.after-intent');
  d.dockerOk(['create', '--name', 'idle', 'busybox', 'true']);
  await crashOn(d, ['rm', 'idle']);
  assert.equal(d.dockerOk(['ps', '-aq']), '');
  await assertSettled(d);
  d.dockerOk(['create', '--name', 'idle', 'busybox', 'true']); // the name is free again
});

test('pause and unpause: the state runc has is what inspect shows after a crash', async (t) => {
  await t.test('pause', async (t) => {
    const d = await crashingDaemon(t, 'pause.after-runc');
    d.dockerOk(['run', '-d', '--name', 'ctr', 'busybox', 'sleep', '300']);
    await crashOn(d, ['pause', 'ctr']);
    assert.equal(inspect(d, 'ctr').State.Status, 'paused');
    assert.equal(inspect(d, 'ctr').State.Paused, true);
    await assertSettled(d);
    assert.deepEqual(actionsOf(d, 'ctr'), ['create', 'start', 'pause']);
    d.dockerOk(['unpause', 'ctr']);
    assert.equal(runcStatus(d, inspect(d, 'ctr').Id), 'running');
    d.dockerOk(['pause', 'ctr']);
    await assertSettled(d);
  });
  await t.test('unpause', async (t) => {
    const d = await crashingDaemon(t, 'unpause.after-runc');
    d.dockerOk(['run', '-d', '--name', 'ctr', 'busybox', 'sleep', '300']);
    d.dockerOk(['pause', 'ctr']);
    await crashOn(d, ['unpause', 'ctr']);
    assert.equal(inspect(d, 'ctr').State.Status, 'running');
    await assertSettled(d);
    assert.deepEqual(actionsOf(d, 'ctr'), ['create', 'start', 'pause', 'unpause']);
    d.dockerOk(['pause', 'ctr']);
    d.dockerOk(['unpause', 'ctr']);
    await assertSettled(d);
  });
});

test('rename: the rename recorded before the crash holds', async (t) => {
  const d = await crashingDaemon(t, 'rename.after-event');
  const id = d.dockerOk(['create', '--name', 'one', 'busybox', 'true']).trim();
  await crashOn(d, ['rename', 'one', 'two']);
  assert.equal(d.dockerOk(['ps', '-a', '--format', '{{.Names}}']).trim(), 'two');
  assert.deepEqual(actionsOf(d, id), ['create', 'rename']);
  d.dockerOk(['rename', 'two', 'three']);
  d.dockerOk(['create', '--name', 'one', 'busybox', 'true']);
  await assertSettled(d);
});

test('commit: a crash after the layer was written leaves no image and no orphan blobs; the commit works again', async (t) => {
  const d = await crashingDaemon(t, 'commit.after-layer');
  d.dockerOk(['run', '-d', '--name', 'ctr', 'busybox', 'sh', '-c', 'echo hi > /hello; sleep 300']);
  await eventually(() => d.docker(['exec', 'ctr', 'cat', '/hello']).stdout === 'hi\n', 5000, 'file written');
  await crashOn(d, ['commit', 'ctr', 'snap:1']);
  assert.equal(d.docker(['image', 'inspect', 'snap:1']).code, 1);
  assertNoOrphanImageFiles(d);
  // commit froze the container only while it read the changes: it runs, as runc says.
  assert.equal(inspect(d, 'ctr').State.Status, 'running');
  assert.deepEqual(actionsOf(d, 'ctr').slice(-2), ['pause', 'unpause']);
  await assertSettled(d);
  d.dockerOk(['commit', 'ctr', 'snap:1']);
  assert.equal(d.dockerOk(['run', '--rm', 'snap:1', 'cat', '/hello']), 'hi\n');
  assertNoOrphanImageFiles(d);
  await assertSettled(d);
});

test('import: a crash after the blobs were written leaves no image and no orphan files; import works again', async (t) => {
  const d = await crashingDaemon(t, 'import.after-blobs', { importBusybox: false });
  await crashOn(d, ['import', BUSYBOX_TAR, 'busybox:latest']);
  assert.equal(d.dockerOk(['images', '-q']), '');
  assertNoOrphanImageFiles(d);
  d.importBusybox();
  assert.equal(d.dockerOk(['run', '--rm', 'busybox', 'echo', 'ok']), 'ok\n');
  assertNoOrphanImageFiles(d);
});

test('rmi: untag and delete are one fact; a crash before the layers go leaves them to the boot sweep', async (t) => {
  const d = await crashingDaemon(t, 'rmi.after-events');
  const id = d.dockerOk(['images', '-q', '--no-trunc', 'busybox']).trim();
  await crashOn(d, ['rmi', 'busybox']);
  assert.equal(d.dockerOk(['images', '-aq']), '');
  assertNoOrphanImageFiles(d);
  const imageEvents = events(d, ['type=image']).map((e) => e.Action);
  assert.deepEqual(imageEvents, ['import', 'tag', 'untag', 'delete']);
  assert.ok(events(d, ['type=image']).every((e) => e.Actor.ID === id || e.Actor.ID.includes('busybox')));
  d.importBusybox();
  d.dockerOk(['rmi', 'busybox']);
  assert.equal(d.dockerOk(['images', '-aq']), '');
  assertNoOrphanImageFiles(d);
});

test('exec: a crash after exec.created leaves a session that never ran; after conmon started, the session is adopted', async (t) => {
  await t.test('after create', async (t) => {
    const d = await crashingDaemon(t, 'exec.after-create');
    d.dockerOk(['run', '-d', '--name', 'ctr', 'busybox', 'sleep', '300']);
    await crashOn(d, ['exec', 'ctr', 'true']);
    assert.equal(inspect(d, 'ctr').State.Status, 'running');
    assert.equal(d.docker(['exec', 'ctr', 'sh', '-c', 'exit 3']).code, 3);
    await assertSettled(d);
  });
  await t.test('after conmon started', async (t) => {
    const d = await crashingDaemon(t, 'exec.after-conmon');
    d.dockerOk(['run', '-d', '--name', 'ctr', 'busybox', 'sleep', '300']);
    await crashOn(d, ['exec', 'ctr', 'sh', '-c', 'sleep 1; touch /done; exit 5']);
    await eventually(() => actionsOf(d, 'ctr').some((a) => a === 'exec_die'), 10_000, 'exec_die');
    const ev = events(d, ['container=ctr']);
    assert.deepEqual(ev.map((e) => e.Action.split(':')[0]), ['create', 'start', 'exec_create', 'exec_start', 'exec_die']);
    assert.equal(ev[4].Actor.Attributes.exitCode, '5');
    assert.equal(d.docker(['exec', 'ctr', 'test', '-f', '/done']).code, 0);
    await assertSettled(d);
  });
});

test('restart policy: a crash after restart-scheduled brings the container back at boot', async (t) => {
  const d = await crashingDaemon(t, 'restart.after-scheduled');
  d.dockerOk(['run', '-d', '--name', 'ctr', '--restart', 'always', 'busybox', 'sh', '-c', 'test -f /again && exec sleep 300; touch /again; exit 3']);
  await d.exited(); // the container's first exit schedules the restart: the daemon dies there
  await d.start();
  await eventually(() => inspect(d, 'ctr').State.Status === 'running', 10_000, 'running again');
  assert.equal(inspect(d, 'ctr').RestartCount, 1);
  await assertSettled(d);
  const acts = actionsOf(d, 'ctr');
  assert.deepEqual(acts, ['create', 'start', 'die', 'start']);
});

test('update: a crash after runc update leaves limits and inspect in agreement; update works again', async (t) => {
  const d = await crashingDaemon(t, 'update.after-runc');
  const id = d.dockerOk(['run', '-d', '--name', 'ctr', 'busybox', 'sleep', '300']).trim();
  const limit = () => Number(readFileSync(`/sys/fs/cgroup/memory/wharf/${id}/memory.limit_in_bytes`, 'utf8'));
  const unlimited = limit();
  await crashOn(d, ['update', '--memory', '64m', 'ctr']);
  // runc applied 64m, the journal never heard of it: the recorded (no) limit is applied again.
  assert.equal(inspect(d, 'ctr').HostConfig.Memory, 0);
  assert.equal(limit(), unlimited);
  d.dockerOk(['update', '--memory', '64m', 'ctr']);
  assert.equal(inspect(d, 'ctr').HostConfig.Memory, 64 * 1024 * 1024);
  assert.equal(limit(), 64 * 1024 * 1024);
  await assertSettled(d);
});

// Found by the fault-injection test (test/fault-injection.test.ts): crashes at these moments
// left a container half-done.

test('start: a crash after conmon was spawned, before it reported, fails the start and leaves nothing in runc', async (t) => {
  const d = await crashingDaemon(t, 'start.after-spawn');
  const id = d.dockerOk(['create', '--name', 'ctr', 'busybox', 'sleep', '300']).trim();
  await crashOn(d, ['start', 'ctr']);
  // conmon dies reporting to the dead daemon; runc create finishes anyway: the process never ran.
  const c = inspect(d, 'ctr');
  assert.equal(c.State.Status, 'created');
  assert.match(c.State.Error, /daemon stopped while the container was starting/);
  await eventually(() => runcStatus(d, id) === undefined, 5000, 'no runc state left');
  await assertSettled(d);
  d.dockerOk(['start', 'ctr']); // was: "container with given ID already exists"
  assert.equal(inspect(d, 'ctr').State.Status, 'running');
  await assertSettled(d);
});

test('commit: a crash while the commit froze the container thaws it at boot', async (t) => {
  const d = await crashingDaemon(t, 'commit.paused');
  d.dockerOk(['run', '-d', '--name', 'ctr', 'busybox', 'sleep', '300']);
  await crashOn(d, ['commit', 'ctr', 'snap:1']);
  assert.equal(inspect(d, 'ctr').State.Status, 'running'); // was: paused, though no user paused it
  assert.equal(runcStatus(d, inspect(d, 'ctr').Id), 'running');
  assert.deepEqual(actionsOf(d, 'ctr'), ['create', 'start', 'pause', 'unpause']);
  assert.equal(d.docker(['image', 'inspect', 'snap:1']).code, 1);
  await assertSettled(d);
  d.dockerOk(['pause', 'ctr']); // a user's pause stays one across a restart
  await d.kill9();
  await d.start();
  assert.equal(inspect(d, 'ctr').State.Status, 'paused');
  await assertSettled(d);
});

for (const point of ['remove.after-kill-intent', 'remove.after-kill']) {
  test(`rm -f: a crash at ${point} (before remove-requested) is finished at boot`, async (t) => {
    const d = await crashingDaemon(t, point);
    d.dockerOk(['run', '-d', '--name', 'up', 'busybox', 'sleep', '300']);
    await crashOn(d, ['rm', '-f', 'up']);
    assert.equal(d.docker(['inspect', 'up']).code, 1); // was: left exited, killed but not removed
    assert.equal(d.dockerOk(['ps', '-aq']), '');
    await assertSettled(d);
    assert.deepEqual(actionsOf(d, 'up').slice(-2), ['die', 'destroy']);
  });
}

test('exit: a crash after died, before runc state and the root mount were released, releases them at boot', async (t) => {
  const d = await crashingDaemon(t, 'exit.after-event');
  const id = d.dockerOk(['run', '-d', '--name', 'ctr', 'busybox', 'sleep', '300']).trim();
  d.docker(['kill', 'ctr']);
  await d.exited();
  await d.start();
  assert.equal(inspect(d, 'ctr').State.Status, 'exited');
  assert.equal(runcStatus(d, id), undefined);
  await assertSettled(d); // was: the root still mounted
  d.dockerOk(['start', 'ctr']); // was: "container with given ID already exists"
  assert.equal(inspect(d, 'ctr').State.Status, 'running');
  await assertSettled(d);
});

test('network create: a crash after the bridge was set up, before the fact, leaves no bridge after boot', async (t) => {
  const d = await crashingDaemon(t, 'network.after-setup');
  d.networkBridges.add('wfzcrash0');
  await crashOn(d, ['network', 'create', '-o', 'com.docker.network.bridge.name=wfzcrash0', 'lost']);
  assert.equal(d.docker(['network', 'inspect', 'lost']).code, 1);
  assert.notEqual(spawnSync('ip', ['link', 'show', 'wfzcrash0'], { stdio: 'ignore' }).status, 0, 'the bridge of a network never recorded is gone');
  d.dockerOk(['network', 'create', '-o', 'com.docker.network.bridge.name=wfzcrash0', 'lost']);
  assert.equal(spawnSync('ip', ['link', 'show', 'wfzcrash0'], { stdio: 'ignore' }).status, 0);
  d.dockerOk(['network', 'rm', 'lost']);
});
