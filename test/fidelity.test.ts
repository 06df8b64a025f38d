import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { DOCKER, TestDaemon, api, daemonForFile, eventually, runAsync, sleep } from './helpers/wharfd';

// Docker fidelity: data and semantics (issue 11), each as a client sees it, checked against Docker 20.10.
const d = daemonForFile();
const ok = (args: string[]) => d.dockerOk(args);

describe('logs keep a last line without a newline', () => {
  test('printf abc: docker logs prints abc (also with --timestamps, --tail, -f, --since/--until)', () => {
    assert.equal(ok(['run', '--name', 'pn', 'busybox', 'printf', 'abc']), 'abc');
    assert.equal(ok(['logs', 'pn']), 'abc');
    const ts = ok(['logs', '-t', 'pn']);
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z abc$/);
    assert.equal(ok(['logs', '--tail', '1', 'pn']), 'abc');
    assert.equal(ok(['logs', '-f', 'pn']), 'abc');
    const t = ts.split(' ')[0];
    assert.equal(ok(['logs', '--since', t, 'pn']), 'abc');
    assert.equal(ok(['logs', '--until', t, 'pn']), 'abc');
    assert.equal(ok(['logs', '--until', '2000-01-01T00:00:00Z', 'pn']), '');
  });

  test('a line written in parts is one line; the last part without a newline is its own record', () => {
    ok(['run', '--name', 'parts', 'busybox', 'sh', '-c', 'printf "a\\nbc"; sleep 0.3; printf "de\\n"; printf f >&2; printf g']);
    assert.equal(ok(['logs', 'parts']), 'a\nbcde\ng');
    const r = d.docker(['logs', 'parts']);
    assert.equal(r.stderr, 'f');
    const stamped = ok(['logs', '-t', 'parts']).split('\n');
    assert.equal(stamped.length, 3);
    assert.match(stamped[1], /Z bcde$/);
    assert.match(stamped[2], /Z g$/);
    // --tail counts records of both streams, as Docker's does ("f" on stderr is one of them).
    assert.equal(ok(['logs', '--tail', '2', 'parts']), 'g');
    assert.equal(ok(['logs', '--tail', '3', 'parts']), 'bcde\ng');
  });

  test('a line longer than 16 KiB: whole in the output, in 16 KiB records as json-file stores it', () => {
    ok(['run', '--name', 'long', 'busybox', 'sh', '-c', 'head -c 40000 /dev/zero | tr "\\0" x; echo; echo next']);
    assert.equal(ok(['logs', 'long']), `${'x'.repeat(40000)}\nnext\n`);
    // As Docker: three records for the long line (16384 + 16384 + 7232 and the newline), each with the line's time.
    const stamped = ok(['logs', '-t', 'long']);
    const stamps = stamped.match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /g) ?? [];
    assert.equal(stamps.length, 4);
    assert.equal(new Set(stamps.slice(0, 3)).size, 1);
    assert.equal(stamped.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /g, ''), `${'x'.repeat(40000)}\nnext\n`);
    assert.equal(ok(['logs', '--tail', '2', 'long']), `${'x'.repeat(7232)}\nnext\n`);
  });

  test('logs -f of a running container ends with its last partial line when it exits', async () => {
    ok(['run', '-d', '--name', 'pf', 'busybox', 'sh', '-c', 'echo start; sleep 1; printf end']);
    const f = runAsync(DOCKER, ['logs', '-f', 'pf'], d.env);
    const r = await f.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'start\nend');
  });
});

/** A running busybox container made through the API: its id. */
async function running(name: string, cmd: string[] = ['sleep', '1000'], extra: Record<string, unknown> = {}): Promise<string> {
  const c = await api(d.sock, 'POST', `/containers/create?name=${name}`, JSON.stringify({ Image: 'busybox', Cmd: cmd, ...extra }), { 'Content-Type': 'application/json' });
  assert.equal(c.status, 201, c.body);
  const id = (JSON.parse(c.body) as { Id: string }).Id;
  const s = await api(d.sock, 'POST', `/containers/${id}/start`);
  assert.equal(s.status, 204, s.body);
  return id;
}

const state = async (id: string) => (JSON.parse((await api(d.sock, 'GET', `/containers/${id}/json`)).body) as { State: { Status: string; Running: boolean; ExitCode: number; Restarting: boolean }; RestartCount: number }).State;

describe('kill and stop wait as Docker does', () => {
  test('after kill (SIGKILL) the container is dead: inspect says so and rm works, every time', async () => {
    for (let i = 0; i < 5; i++) {
      const id = await running(`k${i}`);
      const k = await api(d.sock, 'POST', `/containers/${id}/kill`);
      assert.equal(k.status, 204, k.body);
      const s = await state(id);
      assert.equal(s.Running, false, `try ${i}`);
      assert.equal(s.ExitCode, 137);
      const rm = await api(d.sock, 'DELETE', `/containers/${id}`);
      assert.equal(rm.status, 204, `try ${i}: ${rm.body}`);
    }
  });

  test('stop -t -1 and StopTimeout -1 wait for the exit without a timeout', async () => {
    // sleep as pid 1 ignores SIGTERM: only the kill below ends it.
    for (const [name, args] of [
      ['st1', ['stop', '-t', '-1', 'st1']],
      ['st2', ['stop', 'st2']],
    ] as const) {
      ok(['run', '-d', '--name', name, ...(name === 'st2' ? ['--stop-timeout', '-1'] : []), 'busybox', 'sleep', '1000']);
      const stop = runAsync(DOCKER, [...args], d.env);
      await sleep(1500);
      assert.equal(ok(['inspect', '-f', '{{.State.Running}}', name]).trim(), 'true', `${args.join(' ')} gave up waiting`);
      assert.equal(stop.proc.exitCode, null, `${args.join(' ')} returned early`);
      ok(['kill', name]);
      const r = await stop.done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), name);
      assert.equal(ok(['inspect', '-f', '{{.State.ExitCode}}', name]).trim(), '137');
    }
  });
});

const linkMac = (name: string) => readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim();
const macSetExplicitly = (name: string) => readFileSync(`/sys/class/net/${name}/addr_assign_type`, 'utf8').trim() === '3';

describe('a bridge keeps its MAC when containers come and go', () => {
  test('user network: after a restart of one container, the others still resolve it at once', () => {
    ok(['network', 'create', '-o', 'com.docker.network.bridge.name=wfid1', '--subnet', '10.213.1.0/24', 'fidnet']);
    try {
      ok(['run', '-d', '--name', 'srv', '--network', 'fidnet', 'busybox', 'sleep', '1d']);
      ok(['run', '-d', '--name', 'cli', '--network', 'fidnet', 'busybox', 'sleep', '1d']);
      assert.ok(macSetExplicitly('wfid1'));
      const mac = linkMac('wfid1');
      const first = d.docker(['exec', 'cli', 'ping', '-c1', '-W2', 'srv']);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      ok(['restart', '-t', '0', 'srv']);
      assert.equal(linkMac('wfid1'), mac);
      const again = d.docker(['exec', 'cli', 'ping', '-c1', '-W2', 'srv']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /1 packets received/);
    } finally {
      d.docker(['rm', '-f', 'srv', 'cli']);
      d.docker(['network', 'rm', 'fidnet']);
    }
  });

  describe('the default bridge', () => {
    const b = new TestDaemon();
    before(async () => {
      await b.start(['-b', 'wfid0', '--bip', '10.213.0.1/24']);
      b.importBusybox();
    });
    after(() => b.cleanup());

    test('its MAC is set at creation and stays when a container restarts', () => {
      assert.ok(macSetExplicitly('wfid0'));
      const mac = linkMac('wfid0');
      b.dockerOk(['run', '-d', '--name', 'one', 'busybox', 'sleep', '1d']);
      b.dockerOk(['run', '-d', '--name', 'two', 'busybox', 'sleep', '1d']);
      b.dockerOk(['restart', '-t', '0', 'one']);
      assert.equal(linkMac('wfid0'), mac);
      const ip = b.dockerOk(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'one']).trim();
      const r = b.docker(['exec', 'two', 'ping', '-c1', '-W2', ip]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    });
  });
});

describe('exec output framing follows the start request', () => {
  const frameOf = (stream: number, text: string) => `${String.fromCharCode(stream, 0, 0, 0, 0, 0, 0, text.length)}${text}`;
  // What Docker 20.10 sends for each combination of the create and start requests' Tty.
  const cases: [boolean, boolean, string][] = [
    [true, true, 'out\r\nerr\r\n'],
    [true, false, frameOf(1, 'out\r\n') + frameOf(1, 'err\r\n')],
    [false, true, 'out\n'], // stderr has nowhere to go without frames
    [false, false, frameOf(1, 'out\n') + frameOf(2, 'err\n')],
  ];
  test('create Tty × start Tty, as Docker', async () => {
    await running('ex');
    for (const [createTty, startTty, want] of cases) {
      const json = { 'Content-Type': 'application/json' };
      const c = await api(d.sock, 'POST', '/containers/ex/exec', JSON.stringify({ Tty: createTty, AttachStdout: true, AttachStderr: true, Cmd: ['sh', '-c', 'echo out; sleep 0.1; echo err >&2'] }), json);
      assert.equal(c.status, 201, c.body);
      const id = (JSON.parse(c.body) as { Id: string }).Id;
      const r = await api(d.sock, 'POST', `/exec/${id}/start`, JSON.stringify({ Tty: startTty }), json);
      assert.equal(r.status, 200);
      assert.equal(r.body, want, `create Tty=${createTty}, start Tty=${startTty}`);
      assert.equal(r.headers['content-type'], startTty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    }
  });
});

describe('restart policies', () => {
  test('on-failure:3 shows restarting (or running) between runs, never created or exited, until the last', async () => {
    const id = await running('onfail', ['sh', '-c', 'sleep 0.1; exit 1'], { HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } } });
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    for (;;) {
      assert.ok(Date.now() < deadline, `not settled: ${[...seen].join(', ')}`);
      const r = await api(d.sock, 'GET', `/containers/${id}/json`);
      const j = JSON.parse(r.body) as { State: { Status: string; Running: boolean; Restarting: boolean }; RestartCount: number };
      seen.add(`${j.State.Status}/${j.State.Running}/${j.State.Restarting}`);
      if (j.State.Status === 'exited' && j.RestartCount === 3) break;
      assert.ok(['running', 'restarting'].includes(j.State.Status), `RestartCount ${j.RestartCount}: ${j.State.Status}`);
      assert.equal(j.State.Running, true);
      await sleep(5);
    }
    assert.ok(seen.has('restarting/true/true'), [...seen].join(', '));
    // It stays down: the maximum was reached.
    await sleep(500);
    assert.equal((await state(id)).Status, 'exited');
    assert.equal(ok(['ps', '-a', '--filter', 'name=onfail', '--format', '{{.Status}}']).trim().startsWith('Exited (1)'), true);
  });
});

describe('commit', () => {
  test('commit (with pause) of a container that is exiting just then works, as Docker ignores the failed pause', async () => {
    const images: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = await running(`cx${i}`, ['sh', '-c', 'touch /test; sleep 0.05']);
      await sleep((i % 10) * 10); // commits land before, during and after the exit
      const r = await api(d.sock, 'POST', `/commit?container=${id}&pause=1`);
      assert.equal(r.status, 201, `try ${i}: ${r.body}`);
      images.push((JSON.parse(r.body) as { Id: string }).Id);
    }
    for (const img of [images[0], images[5], images[9]]) assert.equal(d.docker(['run', '--rm', img, 'test', '-f', '/test']).code, 0);
    // The sequence from the report, through the docker CLI.
    ok(['run', '--name', 'xc', 'busybox', 'touch', '/test']);
    const img = ok(['commit', 'xc']).trim();
    assert.equal(d.docker(['run', '--rm', img, 'test', '-f', '/test']).code, 0);
  });

  test("--change 'ENV PATH=/usr/bin:$PATH' expands from the environment, as Docker's (and LABEL, WORKDIR, USER, EXPOSE, VOLUME; not CMD)", () => {
    ok(['run', '--name', 'chg', '-e', 'PATH=/bin', '-e', 'FOO=bar', '-e', 'PORT=81', 'busybox', 'true']);
    const img = ok(['commit', '-c', 'ENV PATH=/usr/bin:$PATH', '-c', 'LABEL l=$FOO', '-c', 'WORKDIR /w/$FOO', '-c', 'EXPOSE $PORT', '-c', 'CMD echo $FOO', 'chg', 'chgimg']).trim();
    assert.ok(img);
    const cfg = JSON.parse(ok(['image', 'inspect', '-f', '{{json .Config}}', 'chgimg'])) as { Env: string[]; Labels: Record<string, string>; WorkingDir: string; Cmd: string[]; ExposedPorts: Record<string, object> };
    assert.ok(cfg.Env.includes('PATH=/usr/bin:/bin'), cfg.Env.join(' '));
    assert.equal(cfg.Labels.l, 'bar');
    assert.equal(cfg.WorkingDir, '/w/bar');
    assert.deepEqual(Object.keys(cfg.ExposedPorts), ['81/tcp']);
    assert.deepEqual(cfg.Cmd, ['/bin/sh', '-c', 'echo $FOO']);
    assert.equal(ok(['run', '--rm', 'chgimg', 'sh', '-c', 'echo $PATH']), '/usr/bin:/bin\n');
    assert.equal(ok(['run', '--rm', 'chgimg']), 'bar\n');
  });
});
