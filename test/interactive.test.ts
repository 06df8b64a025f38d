import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { DOCKER, eventually, TestDaemon } from './helpers/wharfd';

// Interactive and attached sessions with the real docker CLI; a real terminal comes from tmux.
const d = new TestDaemon();
const session = `wharf-it-${process.pid}`;
before(async () => {
  await d.start();
  d.importBusybox();
});
after(async () => {
  spawnSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
  await d.cleanup();
});

const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session).stdout;

describe('stdin without a tty', () => {
  test('echo hi | docker run -i busybox cat prints hi and exits 0', () => {
    const r = d.docker(['run', '--rm', '-i', 'busybox', 'cat'], { input: 'hi\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    const wc = d.docker(['run', '--rm', '-i', 'busybox', 'wc', '-l'], { input: 'a\nb\nc\n' });
    assert.equal(wc.stdout.trim(), '3');
  });

  test('docker start -a -i feeds stdin and returns the exit code', () => {
    d.docker(['create', '-i', '--name', 'sa', 'busybox', 'sh', '-c', 'read x; echo got:$x; exit 4']);
    const r = d.docker(['start', '-a', '-i', 'sa'], { input: 'hello\n' });
    assert.equal(r.stdout, 'got:hello\n');
    assert.equal(r.code, 4);
    d.docker(['rm', 'sa']);
  });

  test('-a stdout attaches only stdout', () => {
    const r = d.docker(['run', '--rm', '-a', 'stdout', 'busybox', 'sh', '-c', 'echo o; echo e >&2']);
    assert.equal(r.stdout, 'o\n');
    assert.equal(r.stderr, '');
  });
});

describe('a terminal', () => {
  test('run -it: typed input reaches the shell, resize follows the window, ctrl-p ctrl-q detaches, attach gets back in', async () => {
    const env = `DOCKER_HOST=${d.host}`;
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', `${env} ${DOCKER} run -it --name itest busybox sh; echo EXITED=$?; sleep 60`);
    await eventually(() => /^\/ #/m.test(screen()), 10_000, "a shell prompt");
    tmux('send-keys', '-t', session, 'echo hello-$((6*7)); stty size', 'Enter');
    await eventually(() => /hello-42\n30 100/.test(screen()), 5000, 'command output and size');
    tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
    await new Promise((r) => setTimeout(r, 300));
    tmux('send-keys', '-t', session, 'stty size', 'Enter');
    await eventually(() => /40 120/.test(screen()), 5000, 'the new size');
    tmux('send-keys', '-t', session, 'C-p', 'C-q');
    await eventually(() => /EXITED=0/.test(screen()), 5000, 'detach');
    assert.match(d.docker(['ps', '--filter', 'name=itest', '--format', '{{.Status}}']).stdout, /^Up /);
    tmux('kill-session', '-t', session);
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', `${env} ${DOCKER} attach itest; echo EXITED=$?; sleep 60`);
    await new Promise((r) => setTimeout(r, 500));
    tmux('send-keys', '-t', session, 'echo back-again; exit 5', 'Enter');
    await eventually(() => /back-again[\s\S]*EXITED=5/.test(screen()), 10_000, 'attach and exit');
    assert.match(d.docker(['ps', '-a', '--filter', 'name=itest', '--format', '{{.Status}}']).stdout, /Exited \(5\)/);
    tmux('kill-session', '-t', session);
    d.docker(['rm', 'itest']);
  });
});
