import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { api, daemonForFile, eventually } from './helpers/wharfd';

// Options of docker run that must take effect in the kernel, not just be stored.
const d = daemonForFile();

const cgroup = (ctrl: string, id: string, file: string) => readFileSync(path.join('/sys/fs/cgroup', ctrl, 'wharf', id, file), 'utf8').trim();

describe('limits', () => {
  test('a process over -m is OOM-killed: exit 137, OOMKilled, an oom event', () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const r = d.docker(['run', '--name', 'hog', '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=aaaaaaaa; while true; do x="$x$x"; done']);
    assert.equal(r.code, 137, r.stderr);
    const st = JSON.parse(d.docker(['inspect', 'hog']).stdout)[0];
    assert.equal(st.State.OOMKilled, true);
    assert.equal(st.HostConfig.Memory, 16 * 1024 * 1024);
    const ev = d.docker(['events', '--since', since, '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=hog', '--format', '{{.Action}}']);
    assert.match(ev.stdout, /oom\ndie/);
    d.docker(['rm', 'hog']);
  });

  test('--pids-limit stops a fork bomb; --cpu-shares and --cpus are in the cgroup', () => {
    const id = d.docker(['run', '-d', '--pids-limit', '12', '--cpu-shares', '512', '--cpus', '0.5', 'busybox', 'sleep', '60']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(cgroup('pids', id, 'pids.max'), '12');
    assert.equal(cgroup('cpu', id, 'cpu.shares'), '512');
    assert.equal(cgroup('cpu', id, 'cpu.cfs_quota_us'), '50000');
    const bomb = d.docker(['run', '--rm', '--pids-limit', '10', 'busybox', 'sh', '-c', 'n=0; for i in $(seq 1 40); do sleep 3 & n=$((n+1)); done 2>/dev/null; sleep 0.2; ls /proc | grep -c "^[0-9]"']);
    assert.ok(Number(bomb.stdout.trim()) <= 10, `processes inside: ${bomb.stdout} ${bomb.stderr}`);
    assert.equal(d.docker(['rm', '-f', id]).code, 0);
  });

  test('--ulimit is applied, and refused past the host\'s hard limit', () => {
    const r = d.docker(['run', '--rm', '--ulimit', 'nofile=1024:2048', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn']);
    assert.equal(r.stdout, '1024\n2048\n');
    const hard = Number(/Max open files\s+\d+\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
    const over = d.docker(['run', '--rm', '--ulimit', `nofile=${hard + 1}:${hard + 1}`, 'busybox', 'true']);
    assert.notEqual(over.code, 0);
    assert.match(over.stderr, new RegExp(`ulimit nofile: hard limit ${hard + 1} is above the host's hard limit ${hard}`));
  });
});

describe('privileges', () => {
  test('no mount without --privileged; --cap-drop, --cap-add, no-new-privileges take effect', () => {
    const denied = d.docker(['run', '--rm', 'busybox', 'mount', '-t', 'tmpfs', 'none', '/tmp']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /permission denied|Operation not permitted/i);
    const ok = d.docker(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'mount -t tmpfs none /tmp && echo mounted']);
    assert.equal(ok.stdout, 'mounted\n', ok.stderr);
    const capEff = (args: string[]) => BigInt('0x' + /CapEff:\s+([0-9a-f]+)/.exec(d.docker(['run', '--rm', ...args, 'busybox', 'cat', '/proc/self/status']).stdout)![1]);
    const CAP_CHOWN = 1n << 0n;
    const CAP_SYS_ADMIN = 1n << 21n;
    assert.equal(capEff([]) & CAP_CHOWN, CAP_CHOWN);
    assert.equal(capEff(['--cap-drop', 'CHOWN']) & CAP_CHOWN, 0n);
    assert.equal(capEff(['--cap-add', 'SYS_ADMIN']) & CAP_SYS_ADMIN, CAP_SYS_ADMIN);
    assert.equal(capEff([]) & CAP_SYS_ADMIN, 0n);
    // No kernel modules: CAP_SYS_MODULE is neither held nor obtainable (not in the bounding set).
    // (This VM's kernel has no module support at all, so insmod cannot tell the two apart.)
    const CAP_SYS_MODULE = 1n << 16n;
    assert.equal(capEff([]) & CAP_SYS_MODULE, 0n);
    const bnd = BigInt('0x' + /CapBnd:\s+([0-9a-f]+)/.exec(d.docker(['run', '--rm', 'busybox', 'cat', '/proc/self/status']).stdout)![1]);
    assert.equal(bnd & CAP_SYS_MODULE, 0n);
    const nnp = d.docker(['run', '--rm', '--security-opt', 'no-new-privileges', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']);
    assert.match(nnp.stdout, /NoNewPrivs:\s+1/);
    // The default seccomp filter; none with --privileged or seccomp=unconfined.
    const seccomp = (args: string[]) => /^Seccomp:\s+(\d)/m.exec(d.docker(['run', '--rm', ...args, 'busybox', 'cat', '/proc/self/status']).stdout)?.[1];
    assert.equal(seccomp([]), '2');
    assert.equal(seccomp(['--privileged']), '0');
    assert.equal(seccomp(['--security-opt', 'seccomp=unconfined']), '0');
    const bad = d.docker(['run', '--rm', '--cap-add', 'NOPE', 'busybox', 'true']);
    assert.match(bad.stderr, /unknown capability: "CAP_NOPE"/);
  });
});

describe('filesystems', () => {
  test('-v binds a host dir (created if missing), :ro is read-only; --read-only and --tmpfs', () => {
    const host = path.join(d.dir, 'shared');
    const w = d.docker(['run', '--rm', '-v', `${host}:/data`, 'busybox', 'sh', '-c', 'echo from-container > /data/f']);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(readFileSync(path.join(host, 'f'), 'utf8'), 'from-container\n');
    const ro = d.docker(['run', '--rm', '-v', `${host}:/data:ro`, 'busybox', 'sh', '-c', 'cat /data/f; echo x > /data/g']);
    assert.equal(ro.stdout, 'from-container\n');
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    const rofs = d.docker(['run', '--rm', '--read-only', '--tmpfs', '/run', 'busybox', 'sh', '-c', 'touch /run/ok && echo tmpfs-ok; touch /x']);
    assert.equal(rofs.stdout, 'tmpfs-ok\n');
    assert.match(rofs.stderr, /Read-only file system/);
    const missing = d.docker(['run', '--rm', '--mount', `type=bind,source=${d.dir}/nope,target=/x`, 'busybox', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /bind source path does not exist/);
  });

  test('two containers from one image do not see each other\'s changes; the image is untouched', () => {
    mkdirSync(path.join(d.dir, 'x'), { recursive: true });
    const a = d.docker(['run', '--name', 'wa', 'busybox', 'sh', '-c', 'echo a > /etc/marker; rm /bin/vi']);
    assert.equal(a.code, 0, a.stderr);
    const b = d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'cat /etc/marker 2>&1; ls /bin/vi']);
    assert.match(b.stdout, /No such file/);
    assert.match(b.stdout, /\/bin\/vi/);
    d.docker(['rm', 'wa']);
    assert.ok(!existsSync(path.join(d.dir, 'never')));
    writeFileSync(path.join(d.dir, 'hostonly'), 'secret');
    const iso = d.docker(['run', '--rm', 'busybox', 'sh', '-c', `ls ${d.dir} 2>&1`]);
    assert.match(iso.stdout, /No such file or directory/);
  });
});

describe('pause, rename', () => {
  test('pause freezes, unpause thaws, rename renames; each is an event', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    d.docker(['run', '-d', '--name', 'pz', 'busybox', 'sh', '-c', 'while true; do date +%s%N; sleep 0.1; done']);
    assert.equal(d.docker(['pause', 'pz']).code, 0);
    assert.match(d.docker(['ps', '--filter', 'name=pz', '--format', '{{.Status}}']).stdout, /\(Paused\)/);
    const n1 = d.docker(['logs', 'pz']).stdout.split('\n').length;
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(d.docker(['logs', 'pz']).stdout.split('\n').length, n1, 'no output while paused');
    assert.equal(JSON.parse(d.docker(['inspect', 'pz']).stdout)[0].State.Paused, true);
    const again = d.docker(['pause', 'pz']);
    assert.match(again.stderr, /is already paused/);
    assert.equal(d.docker(['unpause', 'pz']).code, 0);
    await eventually(() => d.docker(['logs', 'pz']).stdout.split('\n').length > n1, 5000, 'output after unpause');
    assert.equal(d.docker(['rename', 'pz', 'pz2']).code, 0);
    assert.equal(JSON.parse(d.docker(['inspect', 'pz2']).stdout)[0].Name, '/pz2');
    assert.match(d.docker(['inspect', 'pz']).stderr, /No such object: pz|No such container: pz/);
    d.docker(['pause', 'pz2']);
    assert.equal(d.docker(['stop', '-t', '1', 'pz2']).code, 0);
    const ev = d.docker(['events', '--since', since, '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=container', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    assert.match(ev.stdout, /pause pz\nunpause pz\nrename pz2\npause pz2\nunpause pz2\nkill pz2/);
    d.docker(['rm', '-f', 'pz2']);
  });
});

describe('its own root filesystem', () => {
  test('host files are invisible unless bind-mounted', () => {
    const marker = path.join(d.dir, 'host-marker');
    writeFileSync(marker, 'host secret\n');
    const r = d.docker(['run', '--rm', 'busybox', 'cat', marker]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No such file or directory/);
    const seen = d.docker(['run', '--rm', '-v', `${d.dir}:/hostdir:ro`, 'busybox', 'cat', '/hostdir/host-marker']);
    assert.equal(seen.stdout, 'host secret\n');
  });
});

describe('--init and --device', () => {
  test('--init runs docker-init as pid 1 with the command under it; the exit code passes through', () => {
    const r = d.docker(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'ps -o pid,comm; true']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s*1\s+docker-init$/m);
    assert.match(r.stdout, /^\s*\d+\s+sh$/m);
    const code = d.docker(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'exit 5']);
    assert.equal(code.code, 5, 'the exit code passes through the init');
    assert.equal(JSON.parse(d.docker(['inspect', d.docker(['create', '--init', 'busybox', 'true']).stdout.trim()]).stdout)[0].HostConfig.Init, true);
  });

  test('--device makes the host node in the container with its numbers; a missing one is refused', () => {
    const without = d.docker(['run', '--rm', 'busybox', 'ls', '/dev/z']);
    assert.notEqual(without.code, 0);
    const r = d.docker(['run', '--rm', '--device', '/dev/zero:/dev/z', 'busybox', 'sh', '-c', 'ls -l /dev/z; head -c 3 /dev/z | od -An -tx1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^c.*\s1,\s+5\s.*\/dev\/z$/m);
    assert.match(r.stdout, /00 00 00/);
    const missing = d.docker(['run', '--rm', '--device', '/dev/nonexistent', 'busybox', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /error gathering device information while adding custom device "\/dev\/nonexistent": no such file or directory/);
  });
});

describe('annotations, and what HostConfig does not have', () => {
  test('--annotation reaches the runtime\'s spec and inspect; an unknown HostConfig key is dropped, as Go\'s decoder drops it', async () => {
    const id = d.docker(['run', '-d', '--annotation', 'org.example.team=infra', '--network', 'none', 'busybox', 'sleep', '60']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    // The bundle's config.json is written as a file once the container runs (runc read it from a pipe).
    const spec = await eventually(() => {
      try {
        return JSON.parse(readFileSync(path.join(d.execRoot, 'bundles', id, 'config.json'), 'utf8')) as { annotations?: Record<string, string> };
      } catch {
        return undefined;
      }
    }, 5_000, 'the bundle\'s config.json');
    assert.deepEqual(spec!.annotations, { 'org.example.team': 'infra' });
    assert.equal(d.docker(['inspect', '-f', '{{json .HostConfig.Annotations}}', id]).stdout.trim(), '{"org.example.team":"infra"}');
    d.docker(['rm', '-f', id]);

    const created = await api(d.sock, 'POST', '/v1.43/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { NoSuchOption: 'x', Privileged: false } }), { 'Content-Type': 'application/json' });
    assert.equal(created.status, 201, created.body);
    const cid = JSON.parse(created.body).Id as string;
    const hc = JSON.parse((await api(d.sock, 'GET', `/v1.43/containers/${cid}/json`)).body).HostConfig;
    assert.equal('NoSuchOption' in hc, false);
    assert.equal(hc.Privileged, false);
    d.docker(['rm', cid]);
  });
});
