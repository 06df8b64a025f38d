import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { daemonForFile } from './helpers/wharfd';

// The container commands of `wharf` against a real wharfd, side by side with the real
// docker CLI: the same output, the same exit codes.
const d = daemonForFile();
const ok = (args: string[]) => d.dockerOk(args);
const wharf = (args: string[], input?: string) => d.wharf(args, input === undefined ? {} : { input });
const wok = (args: string[], input?: string) => {
  const r = wharf(args, input);
  assert.equal(r.code, 0, `wharf ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

describe('wharf exec', () => {
  test('output, exit code, stdin, env/user/workdir, a missing binary, -d', () => {
    ok(['run', '-d', '--name', 'wx', 'busybox', 'sleep', '1000']);
    const r = wharf(['exec', 'wx', 'sh', '-c', 'echo out; echo err >&2; exit 4']);
    assert.deepEqual([r.stdout, r.stderr, r.code], ['out\n', 'err\n', 4]);
    assert.equal(wok(['exec', '-i', 'wx', 'cat'], 'piped\n'), 'piped\n');
    assert.equal(wok(['exec', '-u', 'nobody', '-w', '/tmp', '-e', 'X=1', 'wx', 'sh', '-c', 'id -un; pwd; echo $X']), 'nobody\n/tmp\n1\n');
    const missing = wharf(['exec', 'wx', 'nosuch']);
    const dmissing = d.docker(['exec', 'wx', 'nosuch']);
    assert.equal(missing.code, 127);
    assert.equal(missing.code, dmissing.code);
    assert.match(missing.stdout + missing.stderr, /executable file not found in \$PATH/);
    assert.equal(wok(['exec', '-d', 'wx', 'sleep', '321']), '');
    assert.match(ok(['top', 'wx']), /sleep 321/);
    const stopped = wharf(['exec', 'nosuchbox', 'true']);
    assert.equal(stopped.code, 1);
    assert.equal(stopped.stderr, 'Error response from daemon: No such container: nosuchbox\n');
  });
});

describe('wharf container commands', () => {
  test('pause, unpause, rename, restart print as docker does', () => {
    ok(['run', '-d', '--name', 'wstate', 'busybox', 'sleep', '1000']);
    assert.equal(wok(['pause', 'wstate']), 'wstate\n');
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'wstate']).trim(), 'paused');
    assert.equal(wok(['unpause', 'wstate']), 'wstate\n');
    assert.equal(wok(['rename', 'wstate', 'wstate2']), '');
    assert.equal(wok(['restart', '-t', '1', 'wstate2']), 'wstate2\n');
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'wstate2']).trim(), 'running');
    const bad = wharf(['pause', 'nosuch']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'Error response from daemon: No such container: nosuch\n');
  });

  test('top, diff and stats --no-stream match docker\'s output', () => {
    ok(['run', '-d', '--name', 'wlook', 'busybox', 'sleep', '1000']);
    ok(['exec', 'wlook', 'sh', '-c', 'touch /added; rm /etc/group']);
    // Times and the CPU column (C, a percentage that moves between two calls) are masked.
    const strip = (s: string) => s.replace(/\d\d:\d\d(:\d\d)?/g, 'T').replace(/^(\S+\s+\d+\s+\d+\s+)\d+/gm, '$1C');
    assert.equal(strip(wok(['top', 'wlook'])), strip(ok(['top', 'wlook'])));
    assert.equal(wok(['top', 'wlook', '-o', 'pid,comm']), ok(['top', 'wlook', '-o', 'pid,comm']));
    assert.equal(wok(['diff', 'wlook']), ok(['diff', 'wlook']));
    const header = (s: string) => s.split('\n')[0];
    assert.equal(header(wok(['stats', '--no-stream', 'wlook'])), header(ok(['stats', '--no-stream', 'wlook'])));
    assert.match(wok(['stats', '--no-stream', 'wlook']).split('\n')[1], /^[0-9a-f]{12}\s+wlook\s+\d+\.\d\d%\s+\S+ \/ \S+\s+\d+\.\d\d%/);
  });

  test('export, commit, cp both ways, container prune', () => {
    ok(['run', '-d', '--name', 'wfs', 'busybox', 'sleep', '1000']);
    const tarFile = path.join(d.dir, 'wfs.tar');
    wok(['export', '-o', tarFile, 'wfs']);
    assert.ok(readFileSync(tarFile).length > 100_000);
    const host = path.join(d.dir, 'cp-src');
    mkdirSync(host, { recursive: true });
    writeFileSync(path.join(host, 'a.txt'), 'alpha\n');
    wok(['cp', path.join(host, 'a.txt'), 'wfs:/tmp/']);
    wok(['cp', path.join(host, 'a.txt'), 'wfs:/tmp/renamed.txt']);
    wok(['cp', host, 'wfs:/copied']);
    assert.equal(ok(['exec', 'wfs', 'cat', '/tmp/a.txt', '/tmp/renamed.txt', '/copied/a.txt']), 'alpha\nalpha\nalpha\n');
    const back = path.join(d.dir, 'cp-back');
    wok(['cp', 'wfs:/copied', back]);
    assert.equal(readFileSync(path.join(back, 'a.txt'), 'utf8'), 'alpha\n');
    wok(['cp', 'wfs:/tmp/renamed.txt', path.join(d.dir, 'one.txt')]);
    assert.equal(readFileSync(path.join(d.dir, 'one.txt'), 'utf8'), 'alpha\n');
    const bad = wharf(['cp', 'wfs:/nonexistent', d.dir]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /No such container:path: wfs:\/nonexistent|Could not find the file \/nonexistent/);
    const id = wok(['commit', '-m', 'from wharf', 'wfs', 'wcommit:v1']).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(ok(['run', '--rm', 'wcommit:v1', 'cat', '/tmp/a.txt']), 'alpha\n');
    ok(['create', '--name', 'wdead', 'busybox', 'true']);
    const pruned = wok(['container', 'prune', '-f']);
    assert.match(pruned, /^Deleted Containers:\n[0-9a-f]{64}\n/);
    assert.match(pruned, /Total reclaimed space: /);
    assert.ok(!existsSync(path.join(d.dataRoot, 'containers', 'wdead')));
    assert.notEqual(d.docker(['inspect', 'wdead']).code, 0);
  });
});

describe('wharf update', () => {
  test('sets limits and the restart policy as docker update does; bad values fail alike', () => {
    ok(['run', '-d', '--name', 'wup', 'busybox', 'sleep', '1000']);
    assert.equal(wok(['update', '-m', '64m', '--cpus', '0.5', '--pids-limit', '50', '--restart', 'on-failure:3', 'wup']), 'wup\n');
    assert.equal(ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'wup']).trim(), '67108864 500000000 50 on-failure:3');
    for (const args of [['update', '-m', '12zz', 'wup'], ['update', 'wup']]) {
      const w = wharf(args);
      const dk = d.docker(args);
      assert.equal(w.code, dk.code, args.join(' '));
      assert.equal(w.stderr.split('\n')[0], dk.stderr.split('\n')[0]);
    }
  });
});
