import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { api, daemonForFile, DOCKER, eventually, runAsync, sleep, TestDaemon } from './helpers/wharfd';

const d = daemonForFile();

/** A shell loop printing `line 0` .. `line N-1`, pausing every `batch` lines (so rotation happens while it runs). */
const printer = (n: number, batch = 100, pause = '0.02') => `i=0; while [ $i -lt ${n} ]; do echo line $i; i=$((i+1)); [ $((i % ${batch})) = 0 ] && sleep ${pause}; done; true`;

function logFiles(id: string): { name: string; size: number }[] {
  const dir = path.join(d.dataRoot, 'containers', id);
  return readdirSync(dir)
    .filter((n) => n.startsWith('container.log'))
    .map((name) => ({ name, size: statSync(path.join(dir, name)).size }));
}

/** Bytes of log on disk: each inode once (the current and the armed file have two names). */
function diskUse(id: string): number {
  const dir = path.join(d.dataRoot, 'containers', id);
  const seen = new Map<number, number>();
  for (const n of readdirSync(dir).filter((x) => x.startsWith('container.log'))) {
    try {
      const st = statSync(path.join(dir, n));
      seen.set(st.ino, st.size);
    } catch {
      // rotated away between readdir and stat
    }
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

/** The numbers of `line N` lines, asserted consecutive (no gap, no duplicate) and ending at last. */
function assertRun(out: string, last: number): number[] {
  const nums = out.split('\n').filter(Boolean).map((l) => {
    const m = /^line (\d+)$/.exec(l);
    assert.ok(m, `unexpected line ${JSON.stringify(l)}`);
    return Number(m[1]);
  });
  assert.ok(nums.length > 0, 'no lines');
  for (let i = 1; i < nums.length; i++) assert.equal(nums[i], nums[i - 1] + 1, `gap or duplicate after line ${nums[i - 1]}`);
  assert.equal(nums.at(-1), last);
  return nums;
}

describe('json-file rotation', () => {
  test('max-size/max-file bound the disk while docker logs shows the last lines in order; --tail and --since work', async () => {
    const id = d.dockerOk(['run', '-d', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', printer(3000)]).trim();
    let peak = 0;
    for (;;) {
      peak = Math.max(peak, diskUse(id));
      if (d.dockerOk(['inspect', '-f', '{{.State.Running}}', id]).trim() === 'false') break;
      await sleep(20);
    }
    // While it runs, the current file may pass max-size by what is written before the rotation lands.
    assert.ok(peak <= 3 * 10_000 + 10_000, `disk use while running ${peak}`);
    await eventually(() => diskUse(id) <= 3 * 10_000, 5000, `disk use after exit ${JSON.stringify(logFiles(id))}`);
    const kept = logFiles(id).filter((f) => f.size > 0 && f.name !== 'container.log.tmp');
    assert.ok(kept.length <= 4, JSON.stringify(kept));
    const nums = assertRun(d.dockerOk(['logs', id]), 2999);
    // About max-file × max-size of ~50-byte records is kept, as Docker keeps (its current file included).
    assert.ok(nums.length >= 350, `kept ${nums.length} lines`);
    assert.equal(d.dockerOk(['logs', '--tail', '3', id]), 'line 2997\nline 2998\nline 2999\n');
    const stamped = d.dockerOk(['logs', '-t', id]).trim().split('\n');
    const mid = stamped[Math.floor(stamped.length / 2)].split(' ')[0];
    const since = d.dockerOk(['logs', '--since', mid, id]).trim().split('\n');
    assert.ok(since.length < nums.length && since.length > 0);
    assertRun(since.join('\n'), 2999);
    d.dockerOk(['rm', id]);
  });

  test('docker logs --follow sees every line exactly once across rotations', async () => {
    const id = d.dockerOk(['create', '--log-opt', 'max-size=8k', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c', printer(2000, 50, '0.01')]).trim();
    // Following from before the start: every line must come, through rotations that drop the old files.
    const follow = runAsync(DOCKER, ['logs', '-f', id], d.env);
    await sleep(300);
    d.dockerOk(['start', id]);
    const r = await follow.done;
    assert.equal(r.code, 0, r.stderr);
    const nums = assertRun(r.stdout, 1999);
    assert.equal(nums[0], 0);
    assert.ok(readdirSync(path.join(d.dataRoot, 'containers', id)).filter((n) => /^container\.log\.\d+$/.test(n)).length <= 4);
    // What is kept afterwards is the tail only.
    const kept = assertRun(d.dockerOk(['logs', id]), 1999);
    assert.ok(kept[0] > 0 && kept.length < 2000);
    d.dockerOk(['rm', id]);
  });

  test('compress=true gzips rotated files, and docker logs reads them; a last line without a newline is kept', async () => {
    const id = d.dockerOk(['run', '-d', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', '--log-opt', 'compress=true', 'busybox', 'sh', '-c', `${printer(1500)}; printf 'line 1500'`]).trim();
    d.dockerOk(['wait', id]);
    const dir = path.join(d.dataRoot, 'containers', id);
    const gz = await eventually((): string[] | undefined => {
      const names = readdirSync(dir).filter((n) => n.endsWith('.gz'));
      return names.length >= 1 && !readdirSync(dir).some((n) => /^container\.log\.\d+$/.test(n) && statSync(path.join(dir, n)).size > 0 && statSync(path.join(dir, n)).ino !== statSync(path.join(dir, 'container.log')).ino) ? names : undefined;
    }, 5000, 'rotated files compressed');
    for (const n of gz!) assert.match(gunzipSync(readFileSync(path.join(dir, n))).toString(), / stdout [FP] line \d+/);
    const out = d.dockerOk(['logs', id]);
    assert.ok(!out.endsWith('\n'), 'the last line has no newline, as printed');
    assertRun(out, 1500);
    d.dockerOk(['rm', id]);
  });
});

describe('log drivers and options', () => {
  test('none: attached output still shows, docker logs answers as Docker does, nothing is named in LogPath', () => {
    const r = d.docker(['run', '--name', 'lg-none', '--log-driver', 'none', 'busybox', 'echo', 'hello']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello\n');
    const logs = d.docker(['logs', 'lg-none']);
    assert.equal(logs.code, 1);
    assert.equal(logs.stderr.trim(), 'Error response from daemon: configured logging driver does not support reading');
    assert.equal(d.dockerOk(['inspect', '-f', '{{.LogPath}}|{{.HostConfig.LogConfig.Type}}', 'lg-none']).trim(), '|none');
    d.dockerOk(['rm', 'lg-none']);
  });

  test('local: rotates with its options; its bad values get dockerd messages', () => {
    const id = d.dockerOk(['run', '-d', '--log-driver', 'local', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=2', '--log-opt', 'compress=false', 'busybox', 'sh', '-c', printer(1000)]).trim();
    d.dockerOk(['wait', id]);
    assertRun(d.dockerOk(['logs', id]), 999);
    assert.ok(diskUse(id) <= 2 * 10_000, JSON.stringify(logFiles(id)));
    d.dockerOk(['rm', id]);
  });

  test('unknown drivers, unknown options and bad values are refused with Docker messages, and nothing is created', () => {
    const before = d.dockerOk(['ps', '-aq']);
    const cases: [string[], string][] = [
      [['--log-driver', 'nosuch'], 'error looking up logging plugin nosuch: plugin "nosuch" not found'],
      [['--log-opt', 'foo=bar'], "unknown log opt 'foo' for json-file log driver"],
      [['--log-opt', 'max-size=banana'], "failed to initialize logging driver: invalid size: 'banana'"],
      [['--log-opt', 'max-size=0'], 'failed to initialize logging driver: max-size must be a positive number'],
      [['--log-opt', 'max-size=-1'], "failed to initialize logging driver: invalid size: '-1'"],
      [['--log-opt', 'max-size=1k', '--log-opt', 'max-file=0'], 'failed to initialize logging driver: max-file cannot be less than 1'],
      [['--log-opt', 'max-size=1k', '--log-opt', 'max-file=x'], 'failed to initialize logging driver: strconv.Atoi: parsing "x": invalid syntax'],
      [['--log-opt', 'max-size=1k', '--log-opt', 'compress=maybe'], 'failed to initialize logging driver: strconv.ParseBool: parsing "maybe": invalid syntax'],
      [['--log-opt', 'max-file=3', '--log-opt', 'compress=true'], 'failed to initialize logging driver: compress cannot be true when max-file is less than 2 or max-size is not set'],
      [['--log-driver', 'local', '--log-opt', 'foo=bar'], "unknown log opt 'foo' for log driver local"],
      [['--log-driver', 'local', '--log-opt', 'max-size=banana'], "failed to initialize logging driver: invalid value for max-size: banana: invalid size: 'banana'"],
      [['--log-driver', 'local', '--log-opt', 'max-file=1'], 'failed to initialize logging driver: compression cannot be enabled when max file count is 1'],
      [['--log-opt', 'mode=foo'], 'logger: logging mode not supported: foo'],
    ];
    for (const [args, message] of cases) {
      const r = d.docker(['create', ...args, 'busybox', 'true']);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.equal(r.stderr.trim(), `Error response from daemon: ${message}`, args.join(' '));
    }
    assert.equal(d.dockerOk(['ps', '-aq']), before);
  });
});

describe('daemon defaults', () => {
  const d2 = new TestDaemon();
  after(() => d2.cleanup());

  test('--log-opt is merged into containers of the default driver, as dockerd does; a bad one stops the daemon', async () => {
    const bad = new TestDaemon();
    try {
      await assert.rejects(bad.start(['--log-opt', 'foo=bar']), /failed to set log opts: unknown log opt 'foo' for json-file log driver/);
    } finally {
      await bad.cleanup();
    }
    await d2.start(['--log-opt', 'max-size=10k', '--log-opt', 'max-file=2']);
    d2.importBusybox();
    const cfg = (args: string[]) => {
      const id = d2.dockerOk(['create', ...args, 'busybox', 'true']).trim();
      return JSON.parse(d2.dockerOk(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id]));
    };
    assert.deepEqual(cfg([]), { Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '2' } });
    assert.deepEqual(cfg(['--log-opt', 'max-file=3']), { Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '3' } });
    assert.deepEqual(cfg(['--log-driver', 'none']), { Type: 'none', Config: {} });
    // Applied: a container with no options of its own rotates.
    const id = d2.dockerOk(['run', '-d', 'busybox', 'sh', '-c', printer(1000)]).trim();
    d2.dockerOk(['wait', id]);
    assertRun(d2.dockerOk(['logs', id]), 999);
    await eventually(() => {
      const dir = path.join(d2.dataRoot, 'containers', id);
      const inodes = new Map(readdirSync(dir).filter((n) => n.startsWith('container.log')).map((n) => [statSync(path.join(dir, n)).ino, statSync(path.join(dir, n)).size]));
      return [...inodes.values()].reduce((a, b) => a + b, 0) <= 2 * 10_000;
    }, 5000, 'the daemon default bounds the log');
  });
});

/** Nomad's docker driver, through the API as it calls it. */
describe('a Nomad task', () => {
  test('create with max-size=2m max-file=2, start, stats stream, exec, wait not-running, logs, LogPath, stop, remove', async () => {
    const json = { 'Content-Type': 'application/json' };
    const create = await api(d.sock, 'POST', '/v1.41/containers/create?name=nomad-task', JSON.stringify({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.05; done'],
      Labels: { 'com.hashicorp.nomad.alloc_id': 'a1' },
      HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '2m', 'max-file': '2' } }, Memory: 64 * 1024 * 1024 },
    }), json);
    assert.equal(create.status, 201, create.body);
    const { Id: id } = JSON.parse(create.body) as { Id: string };
    try {
      assert.equal((await api(d.sock, 'POST', `/v1.41/containers/${id}/start`)).status, 204);
      const inspect = JSON.parse((await api(d.sock, 'GET', `/v1.41/containers/${id}/json`)).body);
      assert.deepEqual(inspect.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '2m', 'max-file': '2' } });
      // Two frames of the stats stream.
      const frames = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
        const got: Record<string, unknown>[] = [];
        let buf = '';
        const req = http.request({ socketPath: d.sock, path: `/v1.41/containers/${id}/stats?stream=true`, method: 'GET' }, (res) => {
          res.on('data', (c: Buffer) => {
            buf += c.toString();
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
              got.push(JSON.parse(buf.slice(0, nl)));
              buf = buf.slice(nl + 1);
              if (got.length === 2) {
                req.destroy();
                resolve(got);
              }
            }
          });
        });
        req.on('error', (e) => (got.length >= 2 ? undefined : reject(e)));
        req.end();
      });
      assert.ok((frames[1].memory_stats as { usage?: number }).usage! > 0);
      assert.equal((frames[1].memory_stats as { limit?: number }).limit, 64 * 1024 * 1024);
      const exec = await api(d.sock, 'POST', `/v1.41/containers/${id}/exec`, JSON.stringify({ Cmd: ['cat', '/proc/1/cmdline'], AttachStdout: true, AttachStderr: true }), json);
      assert.equal(exec.status, 201, exec.body);
      const execId = JSON.parse(exec.body).Id as string;
      const out = await api(d.sock, 'POST', `/v1.41/exec/${execId}/start`, JSON.stringify({ Detach: false, Tty: false }), json);
      assert.match(out.body, /sh\0-c\0/);
      assert.equal(JSON.parse((await api(d.sock, 'GET', `/v1.41/exec/${execId}/json`)).body).ExitCode, 0);
      // LogPath names the file being written now (the kubelet and log shippers read it).
      await eventually(() => /stdout F tick 3\n/.test(readFileSync(inspect.LogPath, 'utf8')), 5000, 'LogPath holds the output');
      // wait?condition=not-running answers once the task stops.
      const waited = api(d.sock, 'POST', `/v1.41/containers/${id}/wait?condition=not-running`);
      await sleep(200);
      assert.equal((await api(d.sock, 'POST', `/v1.41/containers/${id}/stop?t=1`)).status, 204);
      const w = await waited;
      assert.equal(w.status, 200);
      assert.equal(JSON.parse(w.body).StatusCode, 137);
      const logs = await api(d.sock, 'GET', `/v1.41/containers/${id}/logs?stdout=1&stderr=1&tail=2`);
      assert.equal(logs.status, 200);
      assert.match(logs.body, /tick \d+\n/);
    } finally {
      const rm = await api(d.sock, 'DELETE', `/v1.41/containers/${id}?force=1&v=1`);
      assert.equal(rm.status, 204);
    }
  });
});

describe('rotation across a daemon restart', () => {
  const d3 = new TestDaemon();
  after(() => d3.cleanup());

  test('output written while wharfd is down is kept, rotated when it is back, and read in order', async () => {
    await d3.start();
    d3.importBusybox();
    const id = d3.dockerOk(['run', '-d', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', printer(2500, 100, '0.05')]).trim();
    await sleep(300);
    await d3.kill9();
    // conmon keeps writing (about 40 KB here, under its own cap): nobody rotates meanwhile.
    await sleep(700);
    await d3.start();
    d3.dockerOk(['wait', id]);
    const dir = path.join(d3.dataRoot, 'containers', id);
    const use = () => {
      const inodes = new Map(readdirSync(dir).filter((n) => n.startsWith('container.log')).map((n) => [statSync(path.join(dir, n)).ino, statSync(path.join(dir, n)).size]));
      return [...inodes.values()].reduce((a, b) => a + b, 0);
    };
    await eventually(() => use() <= 3 * 10_000, 5000, 'the log bounded again').catch((e: Error) => assert.fail(`${e.message}: ${readdirSync(dir).map((n) => `${n}:${statSync(path.join(dir, n)).size}`).join(' ')}\n${d3.log.slice(-3000)}`));
    const nums = assertRun(d3.dockerOk(['logs', id]), 2499);
    assert.ok(nums.length >= 350, `kept ${nums.length}`);
  });
});
