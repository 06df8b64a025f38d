import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, test } from 'node:test';
import * as tar from 'tar-stream';
import { api, daemonForFile, eventually } from './helpers/wharfd';

// docker top, diff, export, cp, stats, update, commit and container prune, with the real
// docker CLI against a real wharfd: what a user types and sees.
const d = daemonForFile();

const ok = (args: string[], opts: { input?: string | Buffer } = {}) => {
  const r = d.docker(args, opts);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const idOf = (name: string) => ok(['inspect', '-f', '{{.Id}}', name]).trim();
const mergedOf = (name: string) => ok(['inspect', '-f', '{{.GraphDriver.Data.MergedDir}}', name]).trim();
const isMounted = (dir: string) => readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir);
const cgroup = (ctrl: string, id: string, file: string) => readFileSync(path.join('/sys/fs/cgroup', ctrl, 'wharf', id, file), 'utf8').trim();
/** Names in a tar archive (GNU tar's listing). */
const tarList = (archive: Buffer | string) => spawnSync('tar', ['-tv'], { input: archive, encoding: 'utf8' }).stdout;
const file = (name: string, content: string) => {
  const p = path.join(d.dir, name);
  writeFileSync(p, content);
  return p;
};

describe('docker top', () => {
  test('shows the container\'s processes only, with ps options; a stopped container is refused', () => {
    ok(['run', '-d', '--name', 'topper', 'busybox', 'sh', '-c', 'sleep 1000 & sleep 999']);
    const out = ok(['top', 'topper']);
    const [header, ...rows] = out.trim().split('\n');
    assert.match(header, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    assert.equal(rows.length, 2, out);
    assert.ok(rows.some((r) => /sleep 1000$/.test(r)) && rows.some((r) => /sleep 999$/.test(r)), out);
    assert.ok(!/process_api|wharfd|node/.test(out), 'no host process leaks in');
    const custom = ok(['top', 'topper', '-o', 'pid,comm']);
    assert.match(custom, /^PID\s+COMMAND\n/);
    assert.equal(custom.trim().split('\n').length, 3);
    ok(['rm', '-f', 'topper']);
    ok(['create', '--name', 'idle', 'busybox', 'true']);
    const r = d.docker(['top', 'idle']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Error response from daemon: Container ${idOf('idle')} is not running`));
    ok(['rm', 'idle']);
  });
});

describe('docker diff and export', () => {
  test('diff shows added, changed and deleted paths, with changed parents', () => {
    ok(['run', '--name', 'differ', 'busybox', 'sh', '-c', 'echo hi > /tmp/added; rm /etc/nsswitch.conf; echo x >> /etc/passwd; mkdir -p /new/sub']);
    assert.equal(ok(['diff', 'differ']), 'C /etc\nD /etc/nsswitch.conf\nC /etc/passwd\nA /new\nA /new/sub\nC /tmp\nA /tmp/added\n');
    ok(['create', '--name', 'pristine', 'busybox', 'true']);
    assert.equal(ok(['diff', 'pristine']), '');
    ok(['rm', 'pristine']);
  });

  test('export is a tar of the whole filesystem as the container sees it; a stopped container is unmounted after', async () => {
    const out = path.join(d.dir, 'differ.tar');
    ok(['export', '-o', out, 'differ']);
    const names = tarList(readFileSync(out)).split('\n').map((l) => l.split(/\s+/).slice(5).join(' ').replace(/ -> .*$/, ''));
    for (const n of ['bin/', 'bin/sh', 'etc/passwd', 'tmp/added', 'new/sub/']) assert.ok(names.includes(n), `${n} in export`);
    assert.ok(!names.includes('etc/nsswitch.conf'), 'deleted file is not exported');
    assert.ok(!names.some((n) => n.startsWith('./') || n.startsWith('/')), 'names are relative, as Docker\'s');
    const passwd = spawnSync('tar', ['-xOf', out, 'etc/passwd'], { encoding: 'utf8' }).stdout;
    assert.match(passwd, /^root:x:0:0:/);
    assert.match(passwd, /\nx\n$/);
    await eventually(() => !isMounted(mergedOf('differ')), 5000, 'unmount after export');
  });
});

describe('docker cp', () => {
  test('into a running container: the process sees the file; trailing "/" keeps the name, a new name renames', async () => {
    ok(['run', '-d', '--name', 'cprun', 'busybox', 'sh', '-c', 'while [ ! -f /tmp/go ]; do sleep 0.1; done; cat /tmp/go; sleep 1000']);
    const src = file('go', 'from the host\n');
    ok(['cp', src, 'cprun:/tmp/']);
    await eventually(() => d.docker(['logs', 'cprun']).stdout === 'from the host\n', 10_000, 'container reads the copied file');
    ok(['cp', src, 'cprun:/tmp/renamed']);
    assert.equal(ok(['cp', 'cprun:/tmp/renamed', '-']).length > 0, true);
    const listing = tarList(Buffer.from(ok(['cp', 'cprun:/tmp/renamed', '-']), 'binary'));
    assert.match(listing, /^-rw-r--r-- 0\/0\s+14 .* renamed\n$/);
    // a directory, into an existing dir and as a new name
    const dir = path.join(d.dir, 'tree');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'sub', 'leaf'), 'leaf\n');
    ok(['cp', dir, 'cprun:/tmp/']);
    ok(['cp', dir, 'cprun:/tmp/tree2']);
    const back = path.join(d.dir, 'back');
    ok(['cp', 'cprun:/tmp/tree/sub/leaf', back]);
    assert.equal(readFileSync(back, 'utf8'), 'leaf\n');
    ok(['cp', 'cprun:/tmp/tree2/sub/leaf', back]);
    assert.equal(readFileSync(back, 'utf8'), 'leaf\n');
    // a missing directory with a trailing "/" is refused by the CLI, a missing parent by the daemon
    assert.notEqual(d.docker(['cp', src, 'cprun:/nonexistent/']).code, 0);
    const noParent = d.docker(['cp', src, 'cprun:/nonexistent/x']);
    assert.equal(noParent.code, 1);
    assert.match(noParent.stderr, /Could not find the file \/nonexistent in container cprun/);
  });

  test('out of a container: a file, a directory, a directory\'s contents ("/."), a missing path', () => {
    const out = path.join(d.dir, 'out');
    mkdirSync(out);
    ok(['cp', 'cprun:/etc/passwd', path.join(out, 'pw')]);
    assert.match(readFileSync(path.join(out, 'pw'), 'utf8'), /^root:x:0:0:/);
    ok(['cp', 'cprun:/tmp/tree', path.join(out, 'copied')]);
    assert.deepEqual(readdirSync(path.join(out, 'copied')), ['sub']);
    ok(['cp', 'cprun:/tmp/tree', out]);
    assert.ok(existsSync(path.join(out, 'tree', 'sub', 'leaf')));
    ok(['cp', 'cprun:/tmp/tree/sub/.', path.join(out, 'contents')]);
    assert.deepEqual(readdirSync(path.join(out, 'contents')), ['leaf']);
    const missing = d.docker(['cp', 'cprun:/nope', out]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error response from daemon: Could not find the file \/nope in container cprun/);
  });

  test('into and out of a stopped container, which is mounted only meanwhile', async () => {
    ok(['run', '--name', 'cpstopped', 'busybox', 'sh', '-c', 'echo made-inside > /inside']);
    const merged = mergedOf('cpstopped');
    await eventually(() => !isMounted(merged), 5000, 'unmounted after exit');
    ok(['cp', file('tostopped', 'to a stopped one\n'), 'cpstopped:/root/']);
    await eventually(() => !isMounted(merged), 5000, 'unmounted after cp');
    const back = path.join(d.dir, 'fromstopped');
    ok(['cp', 'cpstopped:/root/tostopped', back]);
    assert.equal(readFileSync(back, 'utf8'), 'to a stopped one\n');
    ok(['cp', 'cpstopped:/inside', back]);
    assert.equal(readFileSync(back, 'utf8'), 'made-inside\n');
    // the next start sees the copied file
    ok(['cp', file('script', 'cat /root/tostopped\n'), 'cpstopped:/run.sh']);
    ok(['create', '--name', 'cpcreated', 'busybox', 'sh', '/run.sh']);
    ok(['cp', file('run.sh', 'echo never started before\n'), 'cpcreated:/']);
    assert.equal(ok(['start', '-a', 'cpcreated']), 'never started before\n');
    ok(['rm', 'cpcreated']);
    await eventually(() => !isMounted(merged), 5000, 'unmounted at the end');
  });

  test('symlinks inside the container never reach the host', async () => {
    const secret = file('host-secret', 'host only\n');
    const probe = `wharf-cp-probe-${process.pid}`;
    ok(['run', '-d', '--name', 'linky', 'busybox', 'sh', '-c', `ln -s / /escape; ln -s /etc/shadow /bad; ln -s ${secret} /secretlink; mkdir -p ${d.dir}; ln -s ${d.dir} /hostdir; sleep 1000`]);
    await eventually(() => d.docker(['cp', 'linky:/hostdir', '-']).code === 0, 5000, 'links made');
    // without -L the link itself comes out
    const bad = ok(['cp', 'linky:/bad', '-']);
    assert.match(tarList(Buffer.from(bad, 'binary')), /^lrwxrwxrwx 0\/0\s+0 .* bad -> \/etc\/shadow\n$/);
    // with -L it is followed inside the container, where there is no such file
    const followed = d.docker(['cp', '-L', 'linky:/bad', path.join(d.dir, 'shadow-copy')]);
    assert.equal(followed.code, 1);
    assert.match(followed.stderr, /Could not find the file \/etc\/shadow in container linky/);
    assert.ok(!existsSync(path.join(d.dir, 'shadow-copy')));
    const viaEscape = d.docker(['cp', 'linky:/escape/etc/shadow', '-']);
    assert.equal(viaEscape.code, 1);
    assert.match(viaEscape.stderr, /Could not find the file \/escape\/etc\/shadow in container linky/);
    const secretLink = d.docker(['cp', '-L', 'linky:/secretlink', '-']);
    assert.equal(secretLink.code, 1);
    assert.ok(!secretLink.stdout.includes('host only'));
    assert.match(ok(['cp', 'linky:/escape/etc/passwd', '-']), /root:x:0:0:root:\/root:\/bin\/sh/);
    // writing through a link to "/" writes inside the container
    ok(['cp', file(probe, 'inside\n'), `linky:/escape/tmp/${probe}`]);
    assert.ok(!existsSync(path.join('/tmp', probe)), 'nothing written on the host');
    assert.equal(ok(['cp', `linky:/tmp/${probe}`, path.join(d.dir, 'probe-back')]), '');
    assert.equal(readFileSync(path.join(d.dir, 'probe-back'), 'utf8'), 'inside\n');
    mkdirSync(path.join(d.dir, 'src'));
    writeFileSync(path.join(d.dir, 'src', 'planted'), 'x\n');
    // a link to a host path means that path inside the container (made there above)
    ok(['cp', path.join(d.dir, 'src', 'planted'), 'linky:/hostdir/']);
    assert.ok(!existsSync(path.join(d.dir, 'planted')), 'not written on the host');
    assert.ok(existsSync(path.join(mergedOf('linky'), d.dir, 'planted')), 'landed under the container root');
  });

  test('a crafted archive cannot climb out or write through its own links', async () => {
    const id = idOf('linky');
    const pack = tar.pack();
    pack.entry({ name: 'evil', type: 'symlink', linkname: d.dir });
    pack.entry({ name: 'evil/pwned' }, 'owned\n');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
    const put = await api(d.sock, 'PUT', `/containers/${id}/archive?path=/tmp`, Buffer.concat(chunks), { 'Content-Type': 'application/x-tar' });
    assert.equal(put.status, 200, put.body);
    assert.ok(!existsSync(path.join(d.dir, 'pwned')), 'not written on the host');
    assert.ok(existsSync(path.join(mergedOf('linky'), d.dir, 'pwned')));
    const up = tar.pack();
    up.entry({ name: '../../../climb' }, 'x');
    up.finalize();
    const upChunks: Buffer[] = [];
    for await (const c of up as unknown as AsyncIterable<Buffer>) upChunks.push(c);
    const climb = await api(d.sock, 'PUT', `/containers/${id}/archive?path=/tmp`, Buffer.concat(upChunks), { 'Content-Type': 'application/x-tar' });
    assert.equal(climb.status, 400);
    assert.match(JSON.parse(climb.body).message, /outside of the extraction directory/);
    const head = await api(d.sock, 'HEAD', `/containers/${id}/archive?path=/bad`);
    assert.equal(head.status, 200);
    const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString());
    assert.deepEqual({ name: stat.name, linkTarget: stat.linkTarget, symlink: stat.mode >= 2 ** 27 }, { name: 'bad', linkTarget: '/etc/shadow', symlink: true });
    ok(['rm', '-f', 'linky', 'cprun']);
  });
});

describe('docker commit', () => {
  test('the changes become an image that runs, with history, author, message and --change', () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const id = ok(['commit', '-m', 'my change', '-a', 'Wharf Test <t@example.com>', '-c', 'ENV FOO=bar', '-c', 'CMD ["cat", "/tmp/added"]', 'differ', 'committed:v1']).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(ok(['run', '--rm', 'committed:v1']), 'hi\n');
    assert.equal(ok(['run', '--rm', 'committed:v1', 'sh', '-c', 'test -e /etc/nsswitch.conf || echo deleted; tail -1 /etc/passwd; echo $FOO; ls /new']), 'deleted\nx\nbar\nsub\n');
    const history = ok(['history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Comment}}', 'committed:v1']).trim().split('\n');
    assert.equal(history.length, 2, history.join('\n'));
    assert.match(history[0], new RegExp(`^${id.slice(7, 19)}\\|sh -c echo hi > /tmp/added.*\\|my change$`));
    // The parent is a local image: its row is named by its id, as Docker names it.
    const busybox = ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).trim();
    assert.equal(history[1], `${busybox.slice(7, 19)}||Imported from -`);
    const insp = JSON.parse(ok(['image', 'inspect', 'committed:v1']))[0];
    assert.equal(insp.Author, 'Wharf Test <t@example.com>');
    assert.equal(insp.Comment, 'my change');
    assert.equal(insp.Parent, JSON.parse(ok(['image', 'inspect', 'busybox']))[0].Id);
    assert.equal(insp.RootFS.Layers.length, 2);
    assert.deepEqual(insp.Config.Cmd, ['cat', '/tmp/added']);
    assert.ok(insp.Config.Env.includes('FOO=bar'));
    // As Docker: commit is an event of the container (the new image in imageID/imageRef), then the image's tag.
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const cev = ok(['events', '--since', since, '--until', until, '--filter', 'event=commit', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}} {{.Actor.Attributes.imageID}} {{.Actor.Attributes.imageRef}} {{.Actor.Attributes.comment}}']);
    assert.equal(cev, `container commit ${idOf('differ')} differ ${id} committed:v1 my change\n`);
    const iev = ok(['events', '--since', since, '--until', until, '--filter', 'type=image', '--format', '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}']);
    assert.match(iev, new RegExp(`tag ${id} committed:v1`));
  });

  test('a running container is paused while committed and running after; a commit of a commit stacks', () => {
    ok(['run', '-d', '--name', 'livecommit', 'committed:v1', 'sh', '-c', 'echo second > /second; sleep 1000']);
    const id = ok(['commit', 'livecommit']).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'livecommit']).trim(), 'running');
    assert.equal(ok(['run', '--rm', id, 'cat', '/second', '/tmp/added']), 'second\nhi\n');
    assert.equal(ok(['history', '-q', id]).trim().split('\n').length, 3);
    assert.match(ok(['images', '--filter', 'dangling=true', '-q']), new RegExp(id.slice(7, 19)));
    ok(['rm', '-f', 'livecommit']);
    // Removing it removes its own layer only: the ones below belong to committed:v1 too.
    const [top, below] = ok(['image', 'inspect', '-f', '{{.GraphDriver.Data.LowerDir}}', id]).trim().split(':');
    ok(['rmi', id]);
    assert.ok(!existsSync(top) && existsSync(below));
    assert.equal(ok(['run', '--rm', 'committed:v1']), 'hi\n');
  });
});

/** The first `count` JSON objects of a streamed /stats. */
function streamStats(id: string, count: number): Promise<Record<string, any>[]> {
  return new Promise((resolve, reject) => {
    const out: Record<string, any>[] = [];
    let buf = '';
    const req = http.get({ socketPath: d.sock, path: `/containers/${id}/stats?stream=1` }, (res) => {
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          out.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          if (out.length === count) {
            req.destroy();
            resolve(out);
          }
        }
      });
    });
    req.on('error', (e) => (out.length < count ? reject(e) : undefined));
  });
}

describe('docker stats', () => {
  test('--no-stream prints CPU %, memory usage / limit and pids from the cgroup', () => {
    ok(['run', '-d', '--name', 'busy', '-m', '64m', 'busybox', 'sh', '-c', 'while :; do :; done']);
    const table = ok(['stats', '--no-stream', 'busy']);
    const [header, row] = table.trim().split('\n');
    assert.match(header, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    const m = /^([0-9a-f]{12})\s+busy\s+([\d.]+)%\s+([\d.]+[KMG]?i?B) \/ 64MiB\s+([\d.]+)%\s+0B \/ 0B\s+\S+ \/ \S+\s+1$/.exec(row);
    assert.ok(m, row);
    assert.equal(m[1], idOf('busy').slice(0, 12));
    assert.ok(Number(m[2]) > 5, `a busy loop uses CPU: ${row}`);
  });

  test('the stream sends one object a second, with the previous reading as precpu', async () => {
    const id = idOf('busy');
    const [first, second] = await streamStats(id, 2);
    assert.equal(first.name, '/busy');
    assert.equal(first.id, id);
    assert.equal(first.precpu_stats.cpu_usage.total_usage, 0);
    assert.ok(second.precpu_stats.cpu_usage.total_usage > 0);
    assert.ok(second.cpu_stats.cpu_usage.total_usage >= second.precpu_stats.cpu_usage.total_usage);
    assert.ok(second.cpu_stats.system_cpu_usage > second.precpu_stats.system_cpu_usage);
    assert.equal(second.memory_stats.limit, 64 * 1024 * 1024);
    assert.equal(second.pids_stats.current, 1);
    assert.ok(Date.parse(second.read) > Date.parse(second.preread));
    ok(['rm', '-f', 'busy']);
  });
});

describe('docker update', () => {
  test('limits of a running container change in its cgroup and in inspect; bad values are refused', () => {
    ok(['run', '-d', '--name', 'upd', 'busybox', 'sleep', '1000']);
    const id = idOf('upd');
    const since = String(Math.floor(Date.now() / 1000) - 1);
    assert.equal(ok(['update', '--memory', '64m', '--memory-swap', '128m', '--cpu-shares', '512', '--cpus', '0.5', '--pids-limit', '20', '--restart', 'on-failure:3', 'upd']), 'upd\n');
    assert.equal(cgroup('memory', id, 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
    assert.equal(cgroup('memory', id, 'memory.memsw.limit_in_bytes'), String(128 * 1024 * 1024));
    assert.equal(cgroup('cpu', id, 'cpu.shares'), '512');
    assert.equal(cgroup('cpu', id, 'cpu.cfs_quota_us'), '50000');
    assert.equal(cgroup('pids', id, 'pids.max'), '20');
    const hc = JSON.parse(ok(['inspect', 'upd']))[0].HostConfig;
    assert.deepEqual(
      { m: hc.Memory, s: hc.MemorySwap, c: hc.CpuShares, n: hc.NanoCpus, p: hc.PidsLimit, r: hc.RestartPolicy },
      { m: 64 * 1024 * 1024, s: 128 * 1024 * 1024, c: 512, n: 5e8, p: 20, r: { Name: 'on-failure', MaximumRetryCount: 3 } },
    );
    const small = d.docker(['update', '--memory', '1m', 'upd']);
    assert.equal(small.code, 1);
    assert.match(small.stderr, /Minimum memory limit allowed is 6MB/);
    const over = d.docker(['update', '--memory', '256m', 'upd']);
    assert.match(over.stderr, /Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time/);
    ok(['update', '--pids-limit', '-1', 'upd']);
    assert.equal(cgroup('pids', id, 'pids.max'), 'max');
    const ev = ok(['events', '--since', since, '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=upd', '--filter', 'event=update', '--format', '{{.Action}}']);
    assert.equal(ev, 'update\nupdate\n');
  });

  test('a stopped container gets the new limits at its next start', () => {
    ok(['stop', '-t', '0', 'upd']);
    ok(['update', '--memory', '96m', '--memory-swap', '192m', 'upd']);
    ok(['start', 'upd']);
    assert.equal(cgroup('memory', idOf('upd'), 'memory.limit_in_bytes'), String(96 * 1024 * 1024));
    ok(['rm', '-f', 'upd']);
  });
});

describe('docker container prune', () => {
  test('removes stopped containers (filtered by label), keeps running ones, reports the space', () => {
    ok(['run', '--name', 'old1', '--label', 'prune=yes', 'busybox', 'sh', '-c', 'head -c 5000 /dev/zero > /blob']);
    ok(['create', '--name', 'old2', '--label', 'prune=yes', 'busybox', 'true']);
    ok(['run', '--name', 'keepme', 'busybox', 'true']);
    ok(['run', '-d', '--name', 'alive', '--label', 'prune=yes', 'busybox', 'sleep', '1000']);
    const [old1, old2, keep, alive] = ['old1', 'old2', 'keepme', 'alive'].map(idOf);
    const out = ok(['container', 'prune', '-f', '--filter', 'label=prune=yes']);
    assert.match(out, /^Deleted Containers:\n/);
    const deleted = out.split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l)).sort();
    assert.deepEqual(deleted, [old1, old2].sort());
    assert.match(out, /Total reclaimed space: 5(\.\d+)?kB/);
    const left = ok(['ps', '-a', '--no-trunc', '-q']);
    assert.ok(left.includes(keep) && left.includes(alive) && !left.includes(old1));
    const rest = ok(['container', 'prune', '-f']);
    assert.ok(rest.includes(keep), rest);
    assert.ok(!rest.includes(alive));
    assert.equal(ok(['ps', '-a', '-q', '--no-trunc']).trim(), alive);
    ok(['rm', '-f', 'alive']);
  });
});
