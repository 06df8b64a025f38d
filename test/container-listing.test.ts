import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { daemonForFile } from './helpers/wharfd';

// docker ps and inspect (sizes, filters, --format) and run --cidfile, with the real docker CLI and with wharf.
const d = daemonForFile();
const ok = (args: string[]) => d.dockerOk(args);
const wharfOk = (args: string[]) => d.wharfOk(args);
/** The two CLIs run a moment apart: their durations may differ by a second. */
// Relative times differ between two calls, and so do the column widths they make.
const timeless = (s: string) => s.replace(/Less than a second|\d+ seconds?/g, 'N seconds').replace(/ {2,}/g, '   ');
const idOf = (name: string) => ok(['inspect', '-f', '{{.Id}}', name]).trim();
/** Names that `ps <args>` lists, with both CLIs (they must agree). */
const names = (...args: string[]) => {
  const out = ok(['ps', '--format', '{{.Names}}', ...args]);
  assert.equal(wharfOk(['ps', '--format', '{{.Names}}', ...args]), out, `wharf ps ${args.join(' ')}`);
  return out.trim().split('\n').filter(Boolean);
};

describe('sizes', () => {
  test('ps -s and inspect -s: SizeRw is what the container wrote, SizeRootFs adds the image', () => {
    ok(['run', '-d', '--name', 'writer', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/blob bs=1000 count=300 2>/dev/null; sleep 300']);
    try {
      checkSizes();
    } finally {
      ok(['rm', '-f', 'writer']);
    }
  });
});

/** ps -s and inspect -s of the running `writer`, with both CLIs. */
function checkSizes(): void {
  const imageSize = Number(ok(['image', 'inspect', '-f', '{{.Size}}', 'busybox']).trim());
  let info: { SizeRw: number; SizeRootFs: number } | undefined;
  for (let i = 0; i < 50; i++) {
    info = JSON.parse(ok(['inspect', '-s', 'writer']))[0];
    if (info!.SizeRw >= 300_000) break;
    spinWait(100);
  }
  assert.ok(info!.SizeRw >= 300_000 && info!.SizeRw < 400_000, `SizeRw ${info!.SizeRw}`);
  assert.equal(info!.SizeRootFs, imageSize + info!.SizeRw);
  // Without -s the fields are absent, as with Docker.
  assert.equal(JSON.parse(ok(['inspect', 'writer']))[0].SizeRw, undefined);
  const ps = ok(['ps', '-s', '--filter', 'name=writer']);
  assert.match(ps.split('\n')[0], /NAMES\s+SIZE$/);
  assert.match(ps, /writer\s+30\dkB \(virtual \d\.\d+MB\)\n/);
  assert.equal(timeless(wharfOk(['ps', '-s', '--filter', 'name=writer'])), timeless(ps));
  // A template that shows {{.Size}} asks for the sizes itself.
  const fmt = ok(['ps', '--filter', 'name=writer', '--format', '{{.Names}} {{.Size}}']);
  assert.match(fmt, /^writer 30\dkB \(virtual /);
  assert.equal(wharfOk(['ps', '--filter', 'name=writer', '--format', '{{.Names}} {{.Size}}']), fmt);
  assert.equal(wharfOk(['inspect', '-s', '-f', '{{.SizeRw}} {{.SizeRootFs}}', 'writer']), `${info!.SizeRw} ${info!.SizeRootFs}\n`);
}

describe('filters', () => {
  before(() => {
    // Created in this order: f-run (running, labelled), f-exit3, f-exit0, f-new (never started), f-child (from an image committed on busybox).
    ok(['run', '-d', '--name', 'f-run', '-l', 'app=web', '-l', 'tier', 'busybox', 'sleep', '300']);
    assert.equal(d.docker(['run', '--name', 'f-exit3', '-l', 'app=db', 'busybox', 'sh', '-c', 'exit 3']).code, 3);
    assert.equal(d.docker(['run', '--name', 'f-exit0', 'busybox', 'true']).code, 0);
    ok(['create', '--name', 'f-new', 'busybox', 'true']);
  });

  test('status, exited, label, name, id', () => {
    assert.deepEqual(names(), ['f-run']);
    assert.deepEqual(names('-a'), ['f-new', 'f-exit0', 'f-exit3', 'f-run']);
    // A status filter lists stopped containers without -a; exited needs -a, as with Docker.
    assert.deepEqual(names('-f', 'status=exited'), ['f-exit0', 'f-exit3']);
    assert.deepEqual(names('-f', 'status=created'), ['f-new']);
    assert.deepEqual(names('-f', 'status=running', '-f', 'status=created'), ['f-new', 'f-run']);
    assert.deepEqual(names('-f', 'status=paused'), []);
    assert.deepEqual(names('-f', 'exited=3'), []);
    assert.deepEqual(names('-a', '-f', 'exited=3'), ['f-exit3']);
    // exited=0 is only for containers that ran: not the created one.
    assert.deepEqual(names('-a', '-f', 'exited=0'), ['f-exit0']);
    assert.deepEqual(names('-a', '-f', 'label=app'), ['f-exit3', 'f-run']);
    assert.deepEqual(names('-a', '-f', 'label=app=web'), ['f-run']);
    assert.deepEqual(names('-a', '-f', 'label=app=web', '-f', 'label=tier'), ['f-run']);
    assert.deepEqual(names('-a', '-f', 'label=app=nope'), []);
    assert.deepEqual(names('-a', '-f', 'name=exit'), ['f-exit0', 'f-exit3']);
    assert.deepEqual(names('-a', '-f', 'name=^f-exit3$'), ['f-exit3']);
    assert.deepEqual(names('-a', '-f', 'name=^/f-new'), ['f-new']);
    assert.deepEqual(names('-a', '-f', `id=${idOf('f-exit0').slice(0, 8)}`), ['f-exit0']);
    assert.deepEqual(names('-a', '-f', `id=${idOf('f-new')}`), ['f-new']);
  });

  test('before, since, ancestor (by name, name:tag, id, and images built on it)', () => {
    assert.deepEqual(names('-a', '-f', 'before=f-exit0'), ['f-exit3', 'f-run']);
    assert.deepEqual(names('-a', '-f', 'since=f-exit3'), ['f-new', 'f-exit0']);
    assert.deepEqual(names('-a', '-f', 'since=f-exit3', '-f', 'before=f-new'), ['f-exit0']);
    ok(['commit', 'f-exit3', 'derived:v1']);
    ok(['create', '--name', 'f-child', 'derived:v1', 'true']);
    const busyboxId = ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).trim();
    const all = ['f-child', 'f-new', 'f-exit0', 'f-exit3', 'f-run'];
    assert.deepEqual(names('-a', '-f', 'ancestor=busybox'), all);
    assert.deepEqual(names('-a', '-f', 'ancestor=busybox:latest'), all);
    assert.deepEqual(names('-a', '-f', `ancestor=${busyboxId}`), all);
    assert.deepEqual(names('-a', '-f', `ancestor=${busyboxId.slice(7, 19)}`), all);
    assert.deepEqual(names('-a', '-f', 'ancestor=derived:v1'), ['f-child']);
    assert.deepEqual(names('-a', '-f', 'ancestor=derived'), [], 'derived:latest does not exist');
    assert.deepEqual(names('-a', '-f', 'ancestor=nosuch'), []);
    ok(['rm', 'f-child']);
  });

  test('bad filters are refused with Docker\'s messages', () => {
    const cases: [string, string][] = [
      ['status=bogus', "invalid filter 'status=bogus'"],
      ['exited=x', 'strconv.Atoi: parsing "x": invalid syntax'],
      ['colour=red', "invalid filter 'colour'"],
      ['before=nosuch', 'No such container: nosuch'],
      ['health=sick', 'Unrecognised filter value for health: sick'],
    ];
    // No "=": a flag error (exit 125), before any request.
    for (const cli of ['docker', 'wharf'] as const) {
      const r = cli === 'docker' ? d.docker(['ps', '-f', 'colour']) : d.wharf(['ps', '-f', 'colour']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /^invalid argument "colour" for "-f, --filter" flag: bad format of filter \(expected name=value\)\n/);
    }
    for (const [f, msg] of cases) {
      for (const r of [d.docker(['ps', '-f', f]), d.wharf(['ps', '-f', f])]) {
        assert.equal(r.code, 1, f);
        assert.equal(r.stderr, `Error response from daemon: ${msg}\n`, f);
      }
    }
  });
});

describe('--format', () => {
  test('the common fields, Label, table and json agree between docker and wharf', () => {
    const formats = [
      'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}',
      'table {{.Names}}\t{{.Label "app"}}\t{{.Label "com.example.my-key"}}\t{{.State}}',
      '{{.Names}}|{{.Labels}}|{{.Label "app"}}|{{.Mounts}}|{{.RunningFor}}|{{.CreatedAt}}|{{.State}}',
      '{{.ID}} {{.Size}}',
      'json',
    ];
    for (const f of formats) {
      const out = ok(['ps', '-a', '--filter', 'name=^f-run$', '--format', f]);
      assert.equal(timeless(wharfOk(['ps', '-a', '--filter', 'name=^f-run$', '--format', f])), timeless(out), f);
    }
    const id = idOf('f-run');
    const row = ok(['ps', '--filter', 'name=^f-run$', '--format', '{{.ID}}|{{.Names}}|{{.Label "app"}}|{{.Command}}|{{.State}}|{{.Image}}']);
    assert.equal(row, `${id.slice(0, 12)}|f-run|web|"sleep 300"|running|busybox\n`);
    const table = ok(['ps', '--filter', 'name=^f-run$', '--format', 'table {{.Names}}\t{{.Label "com.example.my-key"}}']).split('\n')[0];
    assert.match(table, /^NAMES\s+my key$/);
    const json = JSON.parse(ok(['ps', '--filter', 'name=^f-run$', '--format', 'json']));
    assert.equal(json.ID, id.slice(0, 12));
    assert.equal(json.State, 'running');
    assert.match(json.Labels, /app=web/);
    assert.match(json.CreatedAt, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \w+$/);
  });
});

describe('--cidfile', () => {
  test('run and create write the id to a new file, refuse a file that exists, leave none when creating fails', () => {
    for (const cli of ['docker', 'wharf'] as const) {
      const run = (args: string[]) => (cli === 'docker' ? d.docker(args) : d.wharf(args));
      const file = path.join(d.dir, `${cli}.cid`);
      const r = run(['run', '-d', '--cidfile', file, '--name', `cid-${cli}`, 'busybox', 'true']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(file, 'utf8'), r.stdout.trim(), 'the id, with no newline');
      assert.equal(ok(['inspect', '-f', '{{.HostConfig.ContainerIDFile}}', `cid-${cli}`]), `${file}\n`);
      const again = run(['run', '-d', '--cidfile', file, 'busybox', 'true']);
      assert.equal(again.code, 125);
      assert.equal(again.stderr, `${cli}: container ID file found, make sure the other container isn't running or delete ${file}\n\nRun '${cli} run --help' for more information\n`);
      const create = run(['create', '--cidfile', file, 'busybox', 'true']);
      assert.equal(create.code, 1);
      assert.equal(create.stderr, `container ID file found, make sure the other container isn't running or delete ${file}\n`);
      // A failed create leaves no file behind; one that cannot be made is reported.
      const missing = path.join(d.dir, `${cli}-missing.cid`);
      assert.notEqual(run(['run', '--cidfile', missing, 'no-such-image:x', 'true']).code, 0);
      assert.equal(existsSync(missing), false);
      const nodir = path.join(d.dir, 'no-dir', 'x.cid');
      const bad = run(['run', '--cidfile', nodir, 'busybox', 'true']);
      assert.equal(bad.code, 127);
      assert.match(bad.stderr, new RegExp(`^${cli}: failed to create the container ID file: open ${nodir}: no such file or directory\n`));
      ok(['rm', `cid-${cli}`]);
    }
  });
});

/** A short pause in a synchronous test (the CLIs run synchronously). */
function spinWait(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
