import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { daemonForFile, eventually } from './helpers/wharfd';

// docker run --restart with the real docker CLI: the daemon brings containers back by their
// policy, counts restarts, leaves manually stopped ones alone, and keeps doing so across a
// kill -9 of itself.
const d = daemonForFile();

const ok = (args: string[]) => d.dockerOk(args);
const state = (name: string) => ok(['inspect', '-f', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}', name]).trim();

describe('restart policies', () => {
  test('on-failure:N restarts a failing container N times, then leaves it exited; die/start events show it', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    ok(['run', '-d', '--name', 'fails', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3']);
    await eventually(() => state('fails') === 'exited 2 3', 15_000, 'two restarts, then exited');
    const ev = ok(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=fails', '--format', '{{.Action}}']);
    const actions = ev.trim().split('\n');
    assert.equal(actions.filter((a) => a === 'start').length, 3, ev);
    assert.equal(actions.filter((a) => a === 'die').length, 3, ev);
    // A clean exit is not a failure.
    ok(['run', '-d', '--name', 'succeeds', '--restart', 'on-failure', 'busybox', 'true']);
    await eventually(() => state('succeeds') === 'exited 0 0', 10_000, 'exited once');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(state('succeeds'), 'exited 0 0');
  });

  test('always restarts after any exit; docker stop ends it; docker start resets the count', async () => {
    ok(['run', '-d', '--name', 'loop', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2']);
    await eventually(() => Number(state('loop').split(' ')[1]) >= 2, 15_000, 'restarts');
    ok(['stop', '-t', '1', 'loop']);
    const stopped = state('loop');
    assert.match(stopped, /^exited /);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(state('loop').split(' ')[0], 'exited', 'a manual stop is not undone by the policy');
    ok(['start', 'loop']);
    assert.match(state('loop'), /^(running|exited|restarting) [01] /);
    ok(['update', '--restart', 'no', 'loop']);
    ok(['rm', '-f', 'loop']);
  });

  test('bad policies get Docker\'s messages', () => {
    const unknown = d.docker(['run', '--restart', 'sometimes', 'busybox', 'true']);
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'/);
    const withRm = d.docker(['run', '--rm', '--restart', 'always', 'busybox', 'true']);
    assert.equal(withRm.code, 125);
    assert.match(withRm.stderr, /conflicting options: cannot specify both --restart and --rm/);
  });

  test('across a kill -9 of the daemon: exits while it was down are restarted; unless-stopped stays stopped, always comes back', async () => {
    ok(['run', '-d', '--name', 'dies-while-down', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 1; exit 1']);
    ok(['run', '-d', '--name', 'stopped-us', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']);
    ok(['run', '-d', '--name', 'stopped-always', '--restart', 'always', 'busybox', 'sleep', '1000']);
    ok(['stop', '-t', '0', 'stopped-us', 'stopped-always']);
    await d.kill9();
    await new Promise((r) => setTimeout(r, 1500)); // dies-while-down exits meanwhile
    await d.start();
    await eventually(() => {
      const [status, count] = state('dies-while-down').split(' ');
      return Number(count) >= 1 && status !== 'exited';
    }, 15_000, 'the container that died while the daemon was down to be restarted');
    await eventually(() => state('stopped-always').startsWith('running'), 10_000, 'always to be started at boot');
    assert.match(state('stopped-us'), /^exited /);
    ok(['update', '--restart', 'no', 'dies-while-down', 'stopped-always']);
    ok(['rm', '-f', 'dies-while-down', 'stopped-always', 'stopped-us']);
  });
});
