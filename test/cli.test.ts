import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WHARF_VERSION } from '../src/daemon/daemon';
import { CLI_VERSION } from '../src/cli/commands/version';
import { ellipsis, goQuote, humanDuration, humanSize, indentJson, table } from '../src/cli/format';
import { toApiTimestamp } from '../src/cli/timestamp';
import { BUSYBOX_TAR, eventually, ping, ROOT, runSync, sleep, TestDaemon } from './helpers/wharfd';

// bin/wharf against a real wharfd: what a user types, what a user sees.
const d = new TestDaemon();
before(async () => {
  await d.start();
});
after(async () => {
  await d.cleanup();
});

/** Remove containers even when the test failed half-way. */
function removeAll(...names: string[]): void {
  for (const n of names) d.wharf(['rm', '-f', n]);
}

describe('formatting (as the docker CLI formats)', () => {
  test('tables, sizes, durations, quoting', () => {
    assert.equal(table([['CONTAINER ID', 'IMAGE', 'NAMES'], ['abc', 'busybox', 'x']]), 'CONTAINER ID   IMAGE     NAMES\nabc            busybox   x\n');
    assert.equal(humanSize(2140160), '2.14MB');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(1_500_000_000), '1.5GB');
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(59_000), '59 seconds');
    assert.equal(humanDuration(90_000), 'About a minute');
    assert.equal(humanDuration(150_000), '2 minutes');
    assert.equal(goQuote(ellipsis('sh -c "echo \\"hi there\\"; ls"', 20)), '"sh -c \\"echo \\\\\\"hi th…"');
    assert.equal(indentJson('{"a":[],"b":{"c":[1,2]},"d":"x,y"}'), '{\n    "a": [],\n    "b": {\n        "c": [\n            1,\n            2\n        ]\n    },\n    "d": "x,y"\n}');
  });

  test('--since/--until values become unix seconds', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    assert.equal(toApiTimestamp('10m', now), `${now / 1000 - 600}.000000000`);
    assert.equal(toApiTimestamp('1h30m', now), `${now / 1000 - 5400}.000000000`);
    assert.equal(toApiTimestamp('2026-01-01T12:00:00Z', now), `${now / 1000}.000000000`);
    assert.equal(toApiTimestamp('2026-01-01T12:00:00.5+01:00', now), `${now / 1000 - 3600}.500000000`);
    assert.equal(toApiTimestamp('1700000000.25', now), '1700000000.25');
    assert.equal(toApiTimestamp('0', now), '0');
    assert.throws(() => toApiTimestamp('bogus', now), /failed to parse value as time or duration: "bogus"/);
  });

  test('the CLI version is the daemon version', () => {
    assert.equal(CLI_VERSION, WHARF_VERSION);
  });
});

describe('images', () => {
  test('wharf import prints the image id; images lists busybox latest', () => {
    const r = d.wharf(['import', BUSYBOX_TAR, 'busybox:latest']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const ls = d.wharf(['images']);
    assert.equal(ls.code, 0, ls.stderr);
    const lines = ls.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^REPOSITORY {3}TAG {7}IMAGE ID {7}CREATED {3,}SIZE$/);
    assert.match(lines[1], new RegExp(`^busybox {6}latest {4}${id.slice(7, 19)} {3}(Less than a second|\\d+ seconds?) ago +2\\.14MB$`));
    assert.equal(d.wharf(['images', '-q']).stdout, `${id.slice(7, 19)}\n`);
  });

  test('import from stdin with -m and -c, tag, image inspect, rmi untags then deletes', () => {
    const r = d.wharf(['import', '-m', 'from stdin', '-c', 'ENV A=b', '-', 'scratchy:v1'], { input: readFileSync(BUSYBOX_TAR) });
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    try {
      assert.equal(d.wharf(['tag', 'scratchy:v1', 'scratchy:v2']).code, 0);
      const insp = d.wharf(['image', 'inspect', 'scratchy:v2']);
      assert.equal(insp.code, 0, insp.stderr);
      assert.ok(insp.stdout.startsWith('[\n    {\n        "Id": '), insp.stdout.slice(0, 40));
      const img = JSON.parse(insp.stdout)[0];
      assert.equal(img.Id, id);
      assert.equal(img.Comment, 'from stdin');
      assert.deepEqual(img.Config.Env, ['A=b']);
      assert.deepEqual([...img.RepoTags].sort(), ['scratchy:v1', 'scratchy:v2']);
      const one = d.wharf(['rmi', 'scratchy:v1']);
      assert.equal(one.stdout, 'Untagged: scratchy:v1\n', one.stderr);
      const two = d.wharf(['rmi', 'scratchy:v2']);
      assert.equal(two.stdout, `Untagged: scratchy:v2\nDeleted: ${id}\n`, two.stderr);
      const gone = d.wharf(['image', 'inspect', 'scratchy:v2']);
      assert.equal(gone.code, 1);
      assert.equal(gone.stdout, '[]\n');
      assert.match(gone.stderr, /^Error response from daemon: No such image: scratchy:v2/);
    } finally {
      d.wharf(['rmi', '-f', id]);
    }
  });
});

describe('run', () => {
  test('run --rm echo hello prints hello and exits 0', () => {
    const r = d.wharf(['run', '--rm', 'busybox', 'echo', 'hello']);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'hello\n');
    assert.equal(r.code, 0);
  });

  test('stdout and stderr are kept apart, the exit status is the container\'s', () => {
    const r = d.wharf(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 3);
  });

  test('-i passes stdin; -e, -w, -u, -h, --entrypoint reach the container', () => {
    const cat = d.wharf(['run', '--rm', '-i', 'busybox', 'cat'], { input: 'piped in\n' });
    assert.equal(cat.stdout, 'piped in\n', cat.stderr);
    const env = { ...d.env, FROM_HOST: 'yes' };
    const r = runSync(path.join(ROOT, 'bin', 'wharf'), ['run', '--rm', '-e', 'A=1', '-e', 'FROM_HOST', '-w', '/tmp', '-u', '1:1', '-h', 'boxy', 'busybox', 'sh', '-c', 'echo $A $FROM_HOST; pwd; id -u; hostname'], env);
    assert.equal(r.stdout, '1 yes\n/tmp\n1\nboxy\n', r.stderr);
    const ep = d.wharf(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'via', 'entrypoint']);
    assert.equal(ep.stdout, 'via entrypoint\n', ep.stderr);
  });

  test('a missing executable exits 127 with the daemon\'s message; a missing image says so', () => {
    const r = d.wharf(['run', '--rm', 'busybox', 'nosuchcmd']);
    assert.equal(r.code, 127);
    assert.match(r.stderr, /^wharf: Error response from daemon: .*executable file not found/);
    const img = d.wharf(['run', '--rm', 'nosuchimage']);
    assert.equal(img.code, 125);
    assert.match(img.stderr, /^Unable to find image 'nosuchimage:latest' locally\nwharf: Error response from daemon: /);
  });

  test('run -d --name web1, ps, logs, stop -t 1, ps -a shows Exited (137), rm' /* docker refuses one-letter names */, async () => {
    try {
      const r = d.wharf(['run', '-d', '--name', 'web1', 'busybox', 'sh', '-c', 'echo ready; exec sleep 30']);
      assert.equal(r.code, 0, r.stderr);
      const id = r.stdout.trim();
      assert.match(id, /^[0-9a-f]{64}$/);

      const ps = d.wharf(['ps']);
      assert.equal(ps.code, 0, ps.stderr);
      const [header, ...rows] = ps.stdout.trimEnd().split('\n');
      assert.match(header, /^CONTAINER ID {3}IMAGE {5}COMMAND +CREATED +STATUS +PORTS +NAMES$/);
      const row = rows.find((l) => l.startsWith(id.slice(0, 12)));
      assert.ok(row, ps.stdout);
      assert.match(row, /^[0-9a-f]{12} {3}busybox {3}"sh -c \\"echo ready; …" {3}.* ago {3,}Up .* {3,}web1$/);
      assert.equal(d.wharf(['ps', '-q', '--no-trunc']).stdout.includes(`${id}\n`), true);

      await eventually(() => d.wharf(['logs', 'web1']).stdout === 'ready\n', 10_000, 'logs');

      const stop = d.wharf(['stop', '-t', '1', 'web1']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(stop.stdout, 'web1\n');
      assert.equal(d.wharf(['ps', '-q']).stdout.includes(id.slice(0, 12)), false);
      const all = d.wharf(['ps', '-a']);
      assert.match(all.stdout.split('\n').find((l) => l.startsWith(id.slice(0, 12))) ?? '', / {3}Exited \(137\) .* ago {3,}web1$/);

      const insp = JSON.parse(d.wharf(['inspect', 'web1']).stdout);
      assert.equal(insp[0].State.ExitCode, 137);
      assert.equal(d.wharf(['inspect', '--format', '{{.State.Status}} {{.Name}}', 'web1']).stdout, 'exited /web1\n');

      const rm = d.wharf(['rm', 'web1']);
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal(rm.stdout, 'web1\n');
      assert.equal(d.wharf(['ps', '-aq']).stdout.includes(id.slice(0, 12)), false);
    } finally {
      removeAll('web1');
    }
  });

  test('create, start -a, wait prints the exit code', () => {
    try {
      const c = d.wharf(['create', '--name', 'cw', 'busybox', 'sh', '-c', 'echo hi; exit 4']);
      assert.equal(c.code, 0, c.stderr);
      const s = d.wharf(['start', '-a', 'cw']);
      assert.equal(s.stdout, 'hi\n', s.stderr);
      assert.equal(s.code, 4);
      const w = d.wharf(['wait', 'cw']);
      assert.equal(w.stdout, '4\n', w.stderr);
    } finally {
      removeAll('cw');
    }
  });
});

describe('events', () => {
  test('events --since/--until list create, start, die, destroy in docker\'s line format', () => {
    const since = (Date.now() / 1000 - 1).toFixed(3);
    const r = d.wharf(['run', '--rm', '--name', 'evx', '-l', 'team=blue', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const until = (Date.now() / 1000 + 0.5).toFixed(3);
    const ev = runSync(path.join(ROOT, 'bin', 'wharf'), ['events', '--since', since, '--until', until, '--filter', 'container=evx'], { ...d.env, TZ: 'UTC' }, { timeoutMs: 20_000 });
    assert.equal(ev.code, 0, ev.stderr);
    const lines = ev.stdout.trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(' ')[2]),
      ['create', 'start', 'die', 'destroy'],
      ev.stdout,
    );
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container create [0-9a-f]{64} \(image=busybox, name=evx, team=blue\)$/);
    assert.match(lines[2], /container die [0-9a-f]{64} \(exitCode=0, image=busybox, name=evx, team=blue\)$/);

    const json = d.wharf(['events', '--since', since, '--until', until, '--filter', 'container=evx', '--filter', 'event=start', '--format', '{{json .}}']);
    const e = JSON.parse(json.stdout);
    assert.equal(e.Action, 'start');
    assert.equal(e.Actor.Attributes.name, 'evx');
    assert.match(json.stdout, /"timeNano":\d{19}\}/);

    const rel = d.wharf(['events', '--since', '10m', '--until', '0s', '--filter', 'container=evx', '--filter', 'event=destroy']);
    assert.equal(rel.stdout.trimEnd().split('\n').length, 1, rel.stdout);
  });
});

describe('errors', () => {
  test('rm nosuch: the daemon\'s message on stderr, exit 1', () => {
    const r = d.wharf(['rm', 'nosuch']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'Error response from daemon: No such container: nosuch\n');
  });

  test('bad flags and missing arguments are reported like docker', () => {
    const flag = d.wharf(['ps', '--bogus']);
    assert.equal(flag.code, 125);
    assert.match(flag.stderr, /^unknown flag: --bogus\n\nUsage: {2}wharf ps \[OPTIONS\]\n/);
    const args = d.wharf(['rm']);
    assert.equal(args.code, 1);
    assert.match(args.stderr, /^wharf: 'wharf rm' requires at least 1 argument\n/);
  });

  test('no daemon: says where it tried', () => {
    const r = d.wharf(['-H', `unix://${d.dir}/nothing.sock`, 'ps']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot connect to the Wharf daemon at unix:\/\/.*nothing\.sock/);
  });
});

describe('wharf -d', () => {
  test('wharf -d runs a daemon that wharf -H talks to', async () => {
    const other = new TestDaemon();
    try {
      const proc = spawn(path.join(ROOT, 'bin', 'wharf'), ['-d', '-H', other.host, '--data-root', other.dataRoot, '--exec-root', other.execRoot, '--pidfile', path.join(other.dir, 'wharfd.pid'), '--bridge', 'none'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      other.proc = proc;
      let log = '';
      proc.stdout?.on('data', (b: Buffer) => (log += b.toString()));
      proc.stderr?.on('data', (b: Buffer) => (log += b.toString()));
      await eventually(async () => proc.exitCode !== null || (await ping(other.sock)), 15_000, 'wharf -d to listen');
      assert.equal(proc.exitCode, null, log);
      const env = { ...process.env, DOCKER_HOST: '' };
      const v = runSync(path.join(ROOT, 'bin', 'wharf'), ['-H', other.host, 'version', '--format', '{{.Server.Version}}'], env);
      assert.equal(v.stdout, `${WHARF_VERSION}\n`, v.stderr);
      const i = runSync(path.join(ROOT, 'bin', 'wharf'), ['-H', other.host, 'info', '--format', '{{.DockerRootDir}} {{.Images}}'], env);
      assert.equal(i.stdout, `${other.dataRoot} 0\n`, i.stderr);
      // The test daemon's busybox is not there: this is another daemon.
      const ps = runSync(path.join(ROOT, 'bin', 'wharf'), ['-H', other.host, 'images', '-q'], env);
      assert.equal(ps.code, 0, ps.stderr);
      assert.equal(ps.stdout, '');
    } finally {
      await other.cleanup();
      await sleep(0);
    }
  });
});
