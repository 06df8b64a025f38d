import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { api, daemonForFile, eventually } from './helpers/wharfd';

// What a container held in the runtime goes when it ends: runc's state dir and the cgroups
// runc made for it, in every hierarchy. The daemon forgets an exited container itself (not by
// running `runc delete`) when nothing is left in it; a container whose processes outlive its
// init (no pid namespace of its own) is still left to runc, which kills them.
const d = daemonForFile();

const ok = (args: string[]) => {
  const r = d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
/** The cgroup dirs of a container, in every hierarchy mounted under /sys/fs/cgroup. */
const cgroupsOf = (id: string) =>
  readdirSync('/sys/fs/cgroup')
    .map((h) => path.join('/sys/fs/cgroup', h, 'wharf', id))
    .filter((p) => existsSync(p));
const runcState = (id: string) => path.join(d.execRoot, 'runc', id);
const gone = async (id: string) =>
  eventually(() => !existsSync(runcState(id)) && cgroupsOf(id).length === 0, 10_000, `runc state and cgroups of ${id.slice(0, 12)} gone (left: ${cgroupsOf(id).join(' ')})`);

test('a container that exits leaves no runc state and no cgroup; --rm, rm -f of a running one too', async () => {
  const id = ok(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', 'sleep 1; exit 3']);
  assert.ok(cgroupsOf(id).length > 0 || existsSync(runcState(id)), 'runc state while it runs');
  await eventually(() => ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id]) === 'exited 3', 10_000, 'exited 3');
  await gone(id);
  // Started again: runc makes it all anew, and it goes again.
  ok(['start', id]);
  await eventually(() => ok(['inspect', '-f', '{{.State.Status}}', id]) === 'exited', 10_000, 'exited again');
  await gone(id);
  ok(['rm', id]);

  const cidfile = path.join(d.dir, 'rm-me.cid');
  const rm = d.docker(['run', '--rm', '--network', 'none', '--cidfile', cidfile, 'busybox', 'true']);
  assert.equal(rm.code, 0, rm.stderr);
  // The record goes with the answer; what the runtime held goes just after it, in the background.
  await gone(readFileSync(cidfile, 'utf8').trim());

  const running = ok(['run', '-d', '--network', 'none', 'busybox', 'sleep', '1000']);
  ok(['rm', '-f', running]);
  await gone(running);
});

test('processes that outlive the init (pid namespace of the host) are killed and their cgroups go', async () => {
  // The init exits at once; the sleep it started stays in the container's cgroups.
  const id = ok(['run', '-d', '--pid', 'host', '--network', 'none', 'busybox', 'sh', '-c', 'setsid sleep 1000 </dev/null >/dev/null 2>&1 & sleep 0.2']);
  await eventually(() => ok(['inspect', '-f', '{{.State.Status}}', id]) === 'exited', 10_000, 'exited');
  await gone(id);
  ok(['rm', id]);
});

test('conmon runs runc from a sealed copy the daemon made at boot: a container runs, an exec too, and the copy cannot be written', async () => {
  const link = path.join(d.execRoot, 'bin', 'runc');
  // <exec-root>/bin/runc -> /proc/<daemon>/fd/<n> -> the memfd.
  assert.match(readlinkSync(readlinkSync(link)), /^\/memfd:runc/);
  const id = ok(['run', '-d', '--network', 'none', 'busybox', 'sleep', '1000']);
  assert.equal(ok(['exec', id, 'echo', 'in']), 'in');
  // conmon was told to run it (its command line), and the copy is runc itself.
  const conmonPid = Number(readFileSync(path.join(d.execRoot, 'bundles', id, 'conmon.pid'), 'utf8'));
  const conmonArgs = readFileSync(`/proc/${conmonPid}/cmdline`, 'utf8').split('\0');
  assert.equal(conmonArgs[conmonArgs.indexOf('-r') + 1], link);
  assert.equal(execFileSync(link, ['--version'], { encoding: 'utf8' }), execFileSync('runc', ['--version'], { encoding: 'utf8' }));
  // Refused by its seals (EPERM), or first for being run (ETXTBSY: the next create's runc, see NextContainer, runs from it).
  assert.throws(() => appendFileSync(link, 'x'), /EPERM|ETXTBSY/);
  ok(['rm', '-f', id]);
  await gone(id);
});

/** Processes whose command line (its arguments) passes the test. */
const processesWhere = (match: (args: string[]) => boolean) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return match(readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0'));
      } catch {
        return false;
      }
    })
    .map(Number);
/** This container's conmons (-c <id>). */
const conmonsOf = (id: string) => processesWhere((args) => path.basename(args[0]) === 'conmon' && args[args.indexOf('-c') + 1] === id);
/** `runc create` processes of this container's bundle (conmon runs them). */
const runcCreatesOf = (id: string) => processesWhere((args) => args.includes('create') && args.includes(path.join(d.execRoot, 'bundles', id)));

test('a container just created has its conmon waiting before the start, which takes it; one never started goes with the container', async () => {
  const id = ok(['create', '--network', 'none', 'busybox', 'echo', 'started']);
  await eventually(() => conmonsOf(id).length === 1, 5_000, 'its conmon is there before the start');
  // (That the start took it, the -D start trace says: test/start-trace.test.ts.)
  assert.equal(ok(['start', '-a', id]), 'started');
  ok(['rm', id]);

  const unused = ok(['create', '--network', 'none', 'busybox', 'true']);
  await eventually(() => conmonsOf(unused).length === 1, 5_000, 'its conmon is there before the start');
  ok(['rm', unused]);
  await eventually(() => conmonsOf(unused).length === 0, 5_000, 'no conmon left for a removed container');
});

test('a daemon killed while a created container\'s runc waits for its spec leaves nothing of it; started after, it runs', async () => {
  const id = ok(['create', '--network', 'none', 'busybox', 'echo', 'after']);
  // conmon ran `runc create` at once: it waits for the spec (config.json, a pipe of the daemon's).
  await eventually(() => runcCreatesOf(id).length === 1, 5_000, 'runc create waits for the spec');
  await d.kill9();
  await eventually(() => conmonsOf(id).length === 0 && runcCreatesOf(id).length === 0, 10_000, 'conmon and runc gone with the daemon');
  assert.equal(existsSync(runcState(id)), false, 'runc made nothing');
  assert.equal(cgroupsOf(id).length, 0);
  assert.equal(existsSync(path.join(d.execRoot, 'exits', id)), false, 'no exit reported');
  await d.start();
  assert.equal(ok(['inspect', '-f', '{{.State.Status}}', id]), 'created');
  assert.equal(ok(['start', '-a', id]), 'after');
  ok(['rm', id]);
});

test('starts that fail after their conmon was taken do not disturb the next containers\' starts', async () => {
  // A start that fails in the middle (a stopped IPC donor: found while the root is prepared)
  // ends its conmon, whose runc may still be starting up; a container created and started
  // right after (through the API, as a builder or an orchestrator does) must get its own spec
  // (their pipes are told apart), again and again.
  const post = async (p: string, body?: object) => {
    const r = await api(d.sock, 'POST', p, body ? JSON.stringify(body) : undefined, body ? { 'Content-Type': 'application/json' } : {});
    return { status: r.status, body: r.body ? (JSON.parse(r.body) as { Id?: string; message?: string }) : {} };
  };
  const donor = ok(['create', '--network', 'none', '--ipc', 'shareable', 'busybox', 'true']);
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) {
    const joiner = (await post('/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', IpcMode: `container:${donor}` } })).body.Id!;
    const failed = await post(`/containers/${joiner}/start`);
    assert.equal(failed.status, 500, JSON.stringify(failed.body));
    const id = (await post('/containers/create', { Image: 'busybox', Cmd: ['sleep', '100'], HostConfig: { NetworkMode: 'none' } })).body.Id!;
    const started = await post(`/containers/${id}/start`);
    assert.equal(started.status, 204, JSON.stringify(started.body));
    ids.push(joiner, id);
  }
  ok(['rm', '-f', donor, ...ids]);
});
