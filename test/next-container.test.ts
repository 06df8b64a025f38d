import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { api, daemonForFile, eventually } from './helpers/wharfd';

// The id the next create gets is chosen ahead, with its conmon spawned and its runc started up,
// waiting for a spec (NextContainer): `docker run` then finds runc ready at its start. What a
// user must never see of it: a container they did not create, files the boot quarantines, a
// process or a runc state left behind.
const d = daemonForFile();

const ok = (args: string[]) => {
  const r = d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

/** conmons of this daemon, by the container id they were given (-c). */
function conmonIds(): string[] {
  const ids: string[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const args = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (path.basename(args[0]) === 'conmon' && args.some((a) => a.startsWith(d.execRoot))) ids.push(args[args.indexOf('-c') + 1]);
    } catch {
      // gone
    }
  }
  return ids;
}
const dirOf = (id: string) => path.join(d.dataRoot, 'containers', id);
const known = () => ok(['ps', '-aq', '--no-trunc']).split('\n').filter(Boolean);
/** The one id whose conmon waits without a container: the next create's. */
async function chosenAhead(): Promise<string> {
  let id = '';
  await eventually(() => {
    // (A conmon of a container just removed may still be ending: the mark tells them apart.)
    const ahead = conmonIds().filter((c) => existsSync(path.join(dirOf(c), 'unclaimed')) && !known().includes(c));
    id = ahead.length === 1 ? ahead[0] : '';
    return id !== '';
  }, 5_000, 'one conmon waits for the next create');
  return id;
}

test('the next docker run gets the id chosen ahead, and its start takes the conmon that waits for it', async () => {
  ok(['rm', '-f', ok(['run', '-d', '--network', 'none', 'busybox', 'true'])]);
  const next = await chosenAhead();
  assert.equal(existsSync(path.join(dirOf(next), 'unclaimed')), true);
  assert.ok(!ok(['ps', '-a', '--format', '{{.ID}}']).includes(next.slice(0, 12)), 'not a container before its create');

  assert.equal(ok(['run', '--network', 'none', 'busybox', 'echo', 'hello']), 'hello');
  const id = ok(['ps', '-alq', '--no-trunc']);
  assert.equal(id, next);
  assert.equal(existsSync(path.join(dirOf(id), 'unclaimed')), false, 'the directory is the container\'s now');
  assert.equal(ok(['logs', id]), 'hello');
  ok(['rm', id]);
});

test('a create with other options (a terminal) gets the id, and its start spawns its own conmon', async () => {
  ok(['rm', '-f', ok(['create', 'busybox', 'true'])]);
  const next = await chosenAhead();
  const id = ok(['run', '-d', '-t', '--network', 'none', 'busybox', 'sh', '-c', 'test -t 1 && echo tty; sleep 100']);
  assert.equal(id, next);
  await eventually(() => ok(['logs', id]).includes('tty'), 5_000, 'its output says it has a terminal');
  assert.equal(conmonIds().filter((c) => c === id).length, 1, 'one conmon for it');
  ok(['rm', '-f', id]);
});

test('a create refused after the id was taken gives it back: the next create gets it', async () => {
  ok(['rm', '-f', ok(['create', 'busybox', 'true'])]);
  const next = await chosenAhead();
  // Refused at validation, after the id was taken (the docker CLI refuses this one itself).
  const refused = await api(d.sock, 'POST', '/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }), { 'Content-Type': 'application/json' });
  assert.equal(refused.status, 400, refused.body);
  const id = ok(['create', '--network', 'none', 'busybox', 'true']);
  assert.equal(id, next);
  ok(['rm', id]);
});

test('a daemon killed or stopped while the next id waits leaves nothing of it', async () => {
  ok(['rm', '-f', ok(['create', 'busybox', 'true'])]);
  const killed = await chosenAhead();
  await d.kill9();
  await eventually(() => !conmonIds().includes(killed), 10_000, 'its conmon ends with the daemon');
  await d.start();
  assert.equal(existsSync(dirOf(killed)), false, 'its directory is removed at boot');
  const quarantine = path.join(d.dataRoot, 'quarantine');
  assert.deepEqual(existsSync(quarantine) ? readdirSync(quarantine) : [], [], 'nothing quarantined');
  assert.equal(existsSync(path.join(d.execRoot, 'runc', killed)), false);
  assert.equal(existsSync(path.join(d.execRoot, 'bundles', killed)), false);
  assert.ok(!known().includes(killed));

  ok(['rm', '-f', ok(['create', 'busybox', 'true'])]);
  const stopped = await chosenAhead();
  await d.stop();
  assert.equal(existsSync(dirOf(stopped)), false, 'its directory goes with the stop');
  await eventually(() => !conmonIds().includes(stopped), 10_000, 'its conmon ends with the daemon');
  await d.start();
});
