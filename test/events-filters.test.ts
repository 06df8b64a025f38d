import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { api, daemonForFile, DOCKER, eventually, runAsync, runSync, sleep } from './helpers/wharfd';

// docker events --filter and --since/--until as a user types them with the real docker CLI,
// against what a real dockerd answers (measured on dockerd 20.10.24 with the docker 28.2 CLI;
// moby 28.5.2's daemon/events/filter.go and eventTime are the same code).
const d = daemonForFile();

/** Nanoseconds as the "seconds.nanoseconds" a client sends back (docker's own timestamp form). */
const secNanos = (ns: bigint) => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
const nowNanos = () => BigInt(Date.now()) * 1_000_000n;

/** `docker events` over a closed window, one "Type Action name-or-id" line per event. */
function events(args: string[]): string[] {
  const r = d.docker(['events', '--format', '{{json .}}', ...args]);
  assert.equal(r.code, 0, `docker events ${args.join(' ')}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } })
    .map((e) => `${e.Type} ${e.Action} ${e.Actor.Attributes.name ?? e.Actor.ID}`);
}

/** The TimeNano of each event, exactly (JSON would round them to a double). */
function timeNanos(args: string[]): bigint[] {
  const out = d.dockerOk(['events', '--format', '{{.TimeNano}}', ...args]);
  return out.split('\n').filter(Boolean).map(BigInt);
}

describe('docker events --filter', () => {
  test('network, container, volume, daemon and the other name keys match an actor id or name they begin, of any type, as dockerd does', () => {
    const since = secNanos(nowNanos());
    d.dockerOk(['network', 'create', 'foo-net']);
    d.dockerOk(['volume', 'create', 'foovol']);
    d.dockerOk(['create', '--name', 'foo', '--label', 'app=x', 'busybox', 'true']);
    d.dockerOk(['rm', 'foo']);
    d.dockerOk(['network', 'rm', 'foo-net']);
    d.dockerOk(['volume', 'rm', 'foovol']);
    d.dockerOk(['tag', 'busybox', 'foo:1']);
    d.dockerOk(['rmi', 'foo:1']);
    const until = secNanos(nowNanos());
    const w = ['--since', since, '--until', until];
    // dockerd lists the same, but for the untag: it names the image by its id there.
    const foo = ['network create foo-net', 'volume create foovol', 'container create foo', 'container destroy foo', 'network destroy foo-net', 'volume destroy foovol', 'image tag foo:1', 'image untag foo:1'];
    for (const key of ['network', 'container', 'volume', 'daemon', 'plugin', 'node', 'service', 'secret', 'config']) {
      assert.deepEqual(events([...w, '--filter', `${key}=foo`]), foo, key);
    }
    assert.deepEqual(events([...w, '--filter', 'network=fo']), foo);
    assert.deepEqual(events([...w, '--filter', 'network=foo-net']), ['network create foo-net', 'network destroy foo-net']);
    assert.deepEqual(events([...w, '--filter', 'network=foo', '--filter', 'type=network']), ['network create foo-net', 'network destroy foo-net']);
    assert.deepEqual(events([...w, '--filter', 'container=foo', '--filter', 'type=container']), ['container create foo', 'container destroy foo']);
    assert.deepEqual(events([...w, '--filter', 'volume=foovol', '--filter', 'event=destroy']), ['volume destroy foovol']);
    assert.deepEqual(events([...w, '--filter', 'network=nosuch']), []);
    // Every event of wharfd is of scope local; it reports no daemon events (dockerd: only `reload`).
    assert.deepEqual(events([...w, '--filter', 'scope=local']), foo);
    assert.deepEqual(events([...w, '--filter', 'scope=swarm']), []);
    assert.deepEqual(events([...w, '--filter', 'type=daemon']), []);
    assert.deepEqual(events([...w, '--filter', `daemon=${d.dockerOk(['info', '--format', '{{.ID}}']).trim()}`]), []);
    // dockerd accepts a key it does not know and ignores it (200, every event).
    assert.deepEqual(events([...w, '--filter', 'bogus=1']), foo);
    assert.deepEqual(events([...w, '--filter', 'label=app=x']), ['container create foo', 'container destroy foo']);
    assert.deepEqual(events([...w, '--filter', 'image=foo']), ['image tag foo:1', 'image untag foo:1']);
  });
});

describe('docker events --since/--until', () => {
  test('every form the CLI sends: seconds, nanoseconds, RFC3339 with and without nanos and zones, durations; both bounds take the event\'s own nanosecond', () => {
    d.dockerOk(['create', '--name', 'tf', 'busybox', 'true']);
    d.dockerOk(['rm', 'tf']);
    const only = ['--filter', 'container=tf', '--filter', 'type=container'];
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const [create, destroy] = timeNanos(['--since', '0', '--until', until, ...only]);
    assert.ok(create < destroy);
    const list = (since: string, u = until, env: NodeJS.ProcessEnv = {}) => {
      const r = runSync(DOCKER, ['events', '--since', since, '--until', u, '--format', '{{.Action}}', ...only], { ...d.env, ...env });
      assert.equal(r.code, 0, `--since ${since} --until ${u}: ${r.stderr}`);
      return r.stdout.trim().split('\n').filter(Boolean).join(' ');
    };
    const sec = create / 1_000_000_000n;
    const iso = new Date(Number(sec) * 1000).toISOString().slice(0, 19); // 2026-01-02T15:04:05
    const nanos = (create % 1_000_000_000n).toString().padStart(9, '0');
    assert.equal(list(String(sec)), 'create destroy');
    assert.equal(list(String(sec - 1n)), 'create destroy');
    assert.equal(list(secNanos(create)), 'create destroy', 'since: an event at exactly since is sent');
    assert.equal(list(secNanos(create + 1n)), 'destroy');
    assert.equal(list(`${sec}.${nanos.slice(0, 3)}`), 'create destroy', 'a shorter fraction is padded');
    assert.equal(list(String(sec - 1n), secNanos(create)), 'create', 'until: an event at exactly until is sent');
    assert.equal(list(String(sec - 1n), secNanos(create - 1n)), '');
    assert.equal(list(`${iso}Z`), 'create destroy');
    assert.equal(list(`${iso}.${nanos}Z`), 'create destroy');
    assert.equal(list(`${iso}.${(create % 1_000_000_000n + 1n).toString().padStart(9, '0')}Z`), 'destroy');
    // The same instant in another zone; a time without a zone is the CLI's local time.
    const plus2 = new Date(Number(sec) * 1000 + 2 * 3600_000).toISOString().slice(0, 19);
    assert.equal(list(`${plus2}.${nanos}+02:00`), 'create destroy');
    assert.equal(list(`${plus2}.${(create % 1_000_000_000n + 1n).toString().padStart(9, '0')}+02:00`), 'destroy');
    assert.equal(list(`${iso}.${nanos}`, until, { TZ: 'UTC' }), 'create destroy');
    assert.equal(list(`${plus2}.${nanos}`, until, { TZ: 'Etc/GMT-2' }), 'create destroy');
    // Durations: the CLI sends now minus the duration, in seconds.
    assert.equal(list('1h', '0s'), 'create destroy');
    assert.equal(list('2h', '1h'), '');
  });

  test('since after until is refused with dockerd\'s message; a bad time never reaches the daemon from the CLI, and via the API is dockerd\'s 500', async () => {
    const r = d.docker(['events', '--since', '1700000100', '--until', '1700000000']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error response from daemon: `since` time (1700000100) cannot be after `until` time (1700000000)');
    const bad = d.docker(['events', '--since', 'yesterday']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /failed to parse value as time or duration: "yesterday"/);
    for (const [q, message] of [
      ['since=10m', 'strconv.ParseInt: parsing "10m": invalid syntax'],
      ['until=2023-11-14T22:13:20Z', 'strconv.ParseInt: parsing "2023-11-14T22:13:20Z": invalid syntax'],
      ['since=5.x', 'strconv.ParseInt: parsing "x": invalid syntax'],
    ]) {
      const a = await api(d.sock, 'GET', `/events?${q}`);
      assert.equal(a.status, 500, q);
      assert.equal(JSON.parse(a.body).message, message);
    }
    const eq = await api(d.sock, 'GET', '/events?since=1700000000.5&until=1700000000');
    assert.equal(eq.status, 400);
    assert.equal(JSON.parse(eq.body).message, '`since` time (1700000000.5) cannot be after `until` time (1700000000)');
  });

  test('--until alone gives the history from the start; --until 0 the whole history, then the stream ends', () => {
    d.dockerOk(['volume', 'create', 'hist1']);
    const until = secNanos(nowNanos());
    d.dockerOk(['volume', 'rm', 'hist1']);
    assert.deepEqual(events(['--until', until, '--filter', 'volume=hist1']), ['volume create hist1']);
    assert.deepEqual(events(['--until', '0', '--filter', 'volume=hist1']), ['volume create hist1', 'volume destroy hist1']);
  });

  test('--until in the future: the live events until then, then the stream ends; --since in the future: live events at once', async () => {
    const start = Date.now();
    const untilSec = Math.floor(start / 1000) + 3;
    const s = runAsync(DOCKER, ['events', '--until', String(untilSec), '--format', '{{.Action}} {{.Actor.ID}}', '--filter', 'volume=fut'], d.env);
    try {
      await sleep(300);
      d.dockerOk(['volume', 'create', 'fut1']);
      await eventually(() => s.proc.exitCode !== null, 15_000, 'the stream ends at --until');
      const r = await s.done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'create fut1\n');
      assert.ok(Date.now() >= untilSec * 1000 - 50, `ended at ${Date.now()}, before ${untilSec * 1000}`);
      // A since in the future sends what happens from now on, as dockerd does.
      const t = BigInt(Date.now() + 1500) * 1_000_000n;
      const f = runAsync(DOCKER, ['events', '--since', secNanos(t), '--until', secNanos(t + 1_000_000_000n), '--format', '{{.Action}} {{.Actor.ID}}', '--filter', 'volume=fut'], d.env);
      await sleep(300);
      d.dockerOk(['volume', 'rm', 'fut1']);
      const fr = await f.done;
      assert.equal(fr.code, 0, fr.stderr);
      assert.equal(fr.stdout, 'destroy fut1\n');
    } finally {
      s.proc.kill();
      d.docker(['volume', 'rm', 'fut1']);
    }
  });
});

describe('resuming docker events', () => {
  test('a client that reconnects with --since its last TimeNano+1ns misses nothing and sees nothing twice; with --since its last TimeNano it sees that one event again, as dockerd does', async () => {
    const start = secNanos(nowNanos());
    const fmt = ['--format', '{{.TimeNano}} {{.Action}} {{.Actor.Attributes.name}}', '--filter', 'type=container', '--filter', 'container=rs'];
    const first = runAsync(DOCKER, ['events', '--since', start, ...fmt], d.env);
    let seen = '';
    first.proc.stdout?.on('data', (b: Buffer) => (seen += b.toString()));
    const N = 7;
    let made = 0;
    const generator = (async () => {
      await sleep(300);
      for (; made < 12; made++) {
        for (const args of [['create', '--name', `rs${made}`, 'busybox', 'true'], ['rm', `rs${made}`]]) {
          const r = await runAsync(DOCKER, args, d.env).done;
          assert.equal(r.code, 0, r.stderr);
        }
      }
    })();
    try {
      // The first client reads N events and goes away while events go on happening.
      await eventually(() => seen.split('\n').length > N, 30_000, `${N} events`);
      first.proc.kill();
      await first.done;
      await generator;
      const got = seen.split('\n').slice(0, N);
      const last = BigInt(got[N - 1].split(' ')[0]);
      const until = secNanos(nowNanos());
      const rest = d.dockerOk(['events', '--since', secNanos(last + 1n), '--until', until, ...fmt]).split('\n').filter(Boolean);
      const all = d.dockerOk(['events', '--since', start, '--until', until, ...fmt]).split('\n').filter(Boolean);
      assert.equal(all.length, 24, all.join('\n'));
      assert.deepEqual([...got, ...rest], all);
      const again = d.dockerOk(['events', '--since', secNanos(last), '--until', until, ...fmt]).split('\n').filter(Boolean);
      assert.deepEqual(again, [got[N - 1], ...rest], 'since is inclusive: the last seen event comes again');
    } finally {
      first.proc.kill();
      await generator.catch(() => undefined);
      for (let i = 0; i <= made && i < 12; i++) d.docker(['rm', '-f', `rs${i}`]);
    }
  });
});

describe('events that are never journal records', () => {
  test('attach, archive-path, extract-to-dir and the health probes\' exec_create/exec_start/exec_die reach a live stream (with --since too), never the history', async () => {
    const since = secNanos(nowNanos());
    // A live stream (no --since) and one from a moment ago (history, then live), both closed after the actions.
    const until = String(Math.ceil(Date.now() / 1000) + 10);
    const env = { ...process.env, DOCKER_HOST: `unix://${d.sock}` };
    const live = runAsync(DOCKER, ['events', '--until', until, '--filter', 'container=lv', '--format', '{{.Action}}|{{.Actor.Attributes.path}}|{{.Actor.Attributes.execID}}|{{.Actor.Attributes.exitCode}}'], env);
    const fromThen = runAsync(DOCKER, ['events', '--since', since, '--until', until, '--filter', 'container=lv', '--format', '{{.Action}}'], env);
    await sleep(500);
    d.dockerOk(['run', '--name', 'lv', '--health-cmd', 'true', '--health-interval', '200ms', '-d', 'busybox', 'sleep', '60']);
    const attach = runAsync(DOCKER, ['attach', '--no-stdin', '--sig-proxy=false', 'lv'], env);
    await sleep(1000);
    attach.proc.kill('SIGKILL');
    await attach.done;
    d.dockerOk(['cp', 'lv:/etc/hostname', '-']);
    d.dockerOk(['cp', '/etc/hostname', 'lv:/tmp/']);
    await eventually(() => /healthy/.test(d.dockerOk(['ps', '--filter', 'name=lv', '--format', '{{.Status}}'])), 10_000, 'a probe ran');
    const seen = (await live.done).stdout.split('\n').filter(Boolean).map((l) => l.replaceAll('<no value>', ''));
    const actions = seen.map((l) => l.split('|')[0]);
    for (const a of ['create', 'start', 'attach', 'archive-path', 'extract-to-dir', 'exec_create: /bin/sh -c true', 'exec_start: /bin/sh -c true', 'exec_die', 'health_status: healthy']) {
      assert.ok(actions.includes(a), `${a} not in ${actions.join(', ')}`);
    }
    assert.ok(seen.includes('archive-path|/etc/hostname||'), seen.join('\n'));
    assert.ok(seen.includes('extract-to-dir|/tmp/||'), seen.join('\n'));
    const die = seen.find((l) => l.startsWith('exec_die|'))!.split('|');
    assert.match(die[2], /^[0-9a-f]{64}$/);
    assert.equal(die[3], '0');
    const then = (await fromThen.done).stdout.split('\n').filter(Boolean);
    for (const a of ['create', 'attach', 'archive-path', 'extract-to-dir', 'exec_die']) assert.ok(then.includes(a), `--since: ${a} not in ${then.join(', ')}`);
    // The history has the records only.
    const history = d.dockerOk(['events', '--since', since, '--until', secNanos(nowNanos()), '--filter', 'container=lv', '--format', '{{.Action}}']).split('\n').filter(Boolean);
    assert.ok(history.includes('create') && history.includes('start') && history.includes('health_status: healthy'), history.join(', '));
    assert.deepEqual(history.filter((a) => /attach|archive|extract|exec_/.test(a)), []);
    d.dockerOk(['rm', '-f', 'lv']);
  });
});
