import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { api, DOCKER, eventually, TestDaemon } from './helpers/wharfd';

// docker exec with the real docker CLI against a real wharfd: output, exit codes, stdin,
// terminals, events, and sessions that outlive a kill -9 of the daemon.
const d = new TestDaemon();
const session = `wharf-exec-${process.pid}`;
before(async () => {
  await d.start();
  d.importBusybox();
  ok(['run', '-d', '--name', 'box', '-e', 'FROM_CTR=1', 'busybox', 'sleep', '1000']);
});
after(async () => {
  spawnSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
  await d.cleanup();
});

const ok = (args: string[], opts: { input?: string } = {}) => {
  const r = d.docker(args, opts);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const idOf = (name: string) => ok(['inspect', '-f', '{{.Id}}', name]).trim();
const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session).stdout;

describe('docker exec', () => {
  test('runs a command in the running container, stdout and stderr apart, with its exit code', () => {
    const r = d.docker(['exec', 'box', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 7);
    // It sees the container's processes and filesystem, not the host's.
    const ps = ok(['exec', 'box', 'ps', '-o', 'pid,comm']);
    assert.match(ps, /^\s*1\s+sleep$/m);
    assert.equal(ok(['exec', 'box', 'hostname']).trim(), idOf('box').slice(0, 12));
  });

  test('-i pipes stdin and closes it at EOF; -e, -u, -w; the container env is inherited', () => {
    assert.equal(ok(['exec', '-i', 'box', 'cat'], { input: 'piped\n' }), 'piped\n');
    assert.equal(ok(['exec', '-i', 'box', 'wc', '-l'], { input: 'a\nb\n' }).trim(), '2');
    const out = ok(['exec', '-u', 'nobody', '-w', '/tmp', '-e', 'FOO=bar', 'box', 'sh', '-c', 'id -un; pwd; echo $FOO $FROM_CTR']);
    assert.equal(out, 'nobody\n/tmp\nbar 1\n');
    const bad = d.docker(['exec', '-u', 'nosuchuser', 'box', 'true']);
    assert.equal(bad.code, 126);
    assert.match(bad.stdout + bad.stderr, /unable to find user nosuchuser: no matching entries in passwd file/);
  });

  test('-d leaves the process running in the background', async () => {
    ok(['exec', '-d', 'box', 'sleep', '4242']);
    await eventually(() => /sleep 4242/.test(ok(['top', 'box'])), 5000, 'the detached exec in top');
  });

  test('-t gives the process a terminal; exec -it in a real terminal runs a shell', async () => {
    assert.match(ok(['exec', '-t', 'box', 'tty']), /^\/dev\/pts\/\d+\r\n$/);
    const env = `DOCKER_HOST=${d.host}`;
    tmux('new-session', '-d', '-s', session, '-x', '90', '-y', '25', `${env} ${DOCKER} exec -it box sh; echo EXITED=$?; sleep 60`);
    await eventually(() => /^\/ #/m.test(screen()), 10_000, 'a shell prompt');
    tmux('send-keys', '-t', session, 'echo $TERM-$((6*7)); stty size; exit 3', 'Enter');
    await eventually(() => /EXITED=3/.test(screen()), 10_000, 'the shell to exit');
    assert.match(screen(), /^xterm-42\s*$/m);
    assert.match(screen(), /^25 90\s*$/m);
  });

  test('a missing binary gives 127 and Docker\'s message; a stopped or paused container is refused', () => {
    const r = d.docker(['exec', 'box', 'nosuchcmd']);
    assert.equal(r.code, 127);
    assert.match(r.stdout + r.stderr, /OCI runtime exec failed: exec failed: .*exec: "nosuchcmd": executable file not found in \$PATH/);
    const id = idOf('box');
    ok(['pause', 'box']);
    const paused = d.docker(['exec', 'box', 'true']);
    assert.equal(paused.code, 1);
    assert.match(paused.stderr, new RegExp(`Error response from daemon: Container ${id} is paused, unpause the container before exec`));
    ok(['unpause', 'box']);
    ok(['create', '--name', 'idle', 'busybox', 'true']);
    const stopped = d.docker(['exec', 'idle', 'true']);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, new RegExp(`Error response from daemon: container ${idOf('idle')} is not running`));
    ok(['rm', 'idle']);
    const missing = d.docker(['exec', 'nosuchbox', 'true']);
    assert.match(missing.stderr, /No such container: nosuchbox/);
  });

  test('exec_create, exec_start and exec_die events; exec inspect through the API', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const r = d.docker(['exec', 'box', 'sh', '-c', 'exit 9']);
    assert.equal(r.code, 9);
    const ev = ok(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=box', '--format', '{{.Action}}|{{.Actor.Attributes.execID}}|{{.Actor.Attributes.exitCode}}']);
    const lines = ev.trim().split('\n');
    const created = lines.find((l) => l.startsWith('exec_create: sh -c exit 9|'));
    assert.ok(created, ev);
    const execId = created.split('|')[1];
    assert.ok(lines.includes(`exec_start: sh -c exit 9|${execId}|<no value>`), ev);
    assert.ok(lines.includes(`exec_die|${execId}|9`), ev);
    const inspect = await api(d.sock, 'GET', `/v1.50/exec/${execId}/json`);
    assert.equal(inspect.status, 200);
    const x = JSON.parse(inspect.body) as Record<string, unknown>;
    assert.equal(x.ExitCode, 9);
    assert.equal(x.Running, false);
    assert.equal(x.ContainerID, idOf('box'));
    assert.deepEqual(x.ProcessConfig, { arguments: ['-c', 'exit 9'], entrypoint: 'sh', privileged: false, tty: false, user: '' });
    const none = await api(d.sock, 'GET', '/v1.50/exec/nosuchexec/json');
    assert.equal(none.status, 404);
    assert.equal(JSON.parse(none.body).message, 'No such exec instance: nosuchexec');
    const empty = await api(d.sock, 'POST', `/v1.50/containers/box/exec`, JSON.stringify({ Cmd: [] }), { 'Content-Type': 'application/json' });
    assert.equal(empty.status, 400);
    assert.equal(JSON.parse(empty.body).message, 'No exec command specified');
  });

  test('a session running while the daemon is killed -9 is settled with its real exit code after restart', async () => {
    const created = await api(d.sock, 'POST', '/v1.50/containers/box/exec', JSON.stringify({ Cmd: ['sh', '-c', 'sleep 2; exit 6'] }), { 'Content-Type': 'application/json' });
    const execId = (JSON.parse(created.body) as { Id: string }).Id;
    const started = await api(d.sock, 'POST', `/v1.50/exec/${execId}/start`, JSON.stringify({ Detach: true }), { 'Content-Type': 'application/json' });
    assert.equal(started.status, 200);
    await d.kill9();
    await d.start();
    const code = await eventually(async () => {
      const x = JSON.parse((await api(d.sock, 'GET', `/v1.50/exec/${execId}/json`)).body) as { Running: boolean; ExitCode: number | null };
      return !x.Running && x.ExitCode !== null ? String(x.ExitCode) : '';
    }, 15_000, 'the exec to be settled');
    assert.equal(code, '6');
    assert.equal(ok(['exec', 'box', 'echo', 'still works']), 'still works\n');
  });
});
