import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { api, daemonForFile, eventually } from './helpers/wharfd';

// A Kubernetes pod played through the Docker API the way cri-dockerd plays it, and the
// namespace, cgroup and process fields it relies on: applied (seen from inside the
// container, in /proc and the cgroup files) or refused with Docker's message, never ignored.
const d = daemonForFile();
const parent = `/wfns-kubepods-${process.pid}/pod${Date.now()}`;
after(() => {
  // Only if a failed test left them: deepest first, never anything else.
  for (const h of ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'blkio', 'devices', 'freezer', 'systemd', 'unified']) {
    for (const p of [parent, path.dirname(parent)]) {
      try {
        rmdirSync(path.join('/sys/fs/cgroup', h, p));
      } catch {
        /* absent or not ours */
      }
    }
  }
});

const json = (body: unknown) => JSON.stringify(body);
async function call(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await api(d.sock, method, `/v1.50${p}`, body === undefined ? undefined : json(body), body === undefined ? {} : { 'content-type': 'application/json' });
  return { status: r.status, body: r.body ? JSON.parse(r.body) : undefined };
}
async function create(body: Record<string, unknown>, name?: string): Promise<{ status: number; body: any }> {
  return call('POST', `/containers/create${name ? `?name=${name}` : ''}`, { Image: 'busybox', ...body });
}
async function run(body: Record<string, unknown>, name?: string): Promise<string> {
  const r = await create(body, name);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const s = await call('POST', `/containers/${r.body.Id}/start`);
  assert.equal(s.status, 204, JSON.stringify(s.body));
  return r.body.Id;
}
const sh = (id: string, script: string) => {
  const r = d.docker(['exec', id, 'sh', '-c', script]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
};
const inspect = async (id: string) => (await call('GET', `/containers/${id}/json`)).body;
const count = async () => (await call('GET', '/containers/json?all=1')).body.length as number;
const hostMounts = () => readFileSync('/proc/self/mounts', 'utf8');

describe('a pod as cri-dockerd makes one', () => {
  test('sandbox + two containers share net, IPC and PID; their fields applied; stopping the sandbox ends the pod; nothing left', async () => {
    const sandbox = await run({ Cmd: ['sleep', '1000'], Labels: { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.docker.type': 'podsandbox' }, HostConfig: { IpcMode: 'shareable', CgroupParent: parent, NetworkMode: 'none' } }, 'k8s_POD_web');
    const join = `container:${sandbox}`;
    const member = (cmd: string) => ({
      Cmd: ['sleep', cmd],
      Labels: { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.docker.type': 'container' },
      HostConfig: { NetworkMode: join, IpcMode: join, PidMode: join, CgroupParent: parent, OomScoreAdj: 500, GroupAdd: ['1234', 'daemon'], Sysctls: { 'kernel.shm_rmid_forced': '1', 'net.ipv4.ping_group_range': '0 1000' }, ShmSize: 1 << 20 },
    });
    const a = await run(member('2001'), 'k8s_a_web');
    const b = await run(member('2002'), 'k8s_b_web');
    const ns = (id: string) => sh(id, 'for n in net ipc pid; do readlink /proc/self/ns/$n; done');
    assert.equal(ns(a), ns(sandbox));
    assert.equal(ns(b), ns(sandbox));
    // One process list: the sandbox's pause process is pid 1, and a sees b's process.
    const ps = sh(a, 'ps -o pid,args');
    assert.match(ps, /^\s*1\s+sleep 1000$/m);
    assert.match(ps, /sleep 2002/);
    // The sandbox's /dev/shm (its ShmSize, the default), its host name and /etc files.
    sh(a, 'echo shared > /dev/shm/x');
    assert.equal(sh(b, 'cat /dev/shm/x'), 'shared\n');
    assert.equal(sh(sandbox, 'cat /dev/shm/x'), 'shared\n');
    assert.equal(sh(b, 'hostname'), sh(sandbox, 'hostname'));
    const sbx = await inspect(sandbox);
    const ia = await inspect(a);
    assert.equal(ia.ResolvConfPath, sbx.ResolvConfPath);
    assert.equal(ia.HostsPath, sbx.HostsPath);
    assert.equal(ia.HostConfig.IpcMode, join);
    // cri-dockerd rewrites the sandbox's resolv.conf for cluster DNS: every container of the pod sees it.
    assert.ok(existsSync(sbx.ResolvConfPath), sbx.ResolvConfPath);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(sbx.ResolvConfPath, 'nameserver 10.96.0.10\nsearch default.svc.cluster.local\n');
    assert.equal(sh(b, 'cat /etc/resolv.conf'), 'nameserver 10.96.0.10\nsearch default.svc.cluster.local\n');
    assert.ok(existsSync(sbx.LogPath), sbx.LogPath);
    assert.equal(ia.NetworkSettings.SandboxKey, '');
    assert.equal(sbx.NetworkSettings.SandboxKey, `/proc/${sbx.State.Pid}/ns/net`);
    assert.equal(`${require('node:fs').readlinkSync(sbx.NetworkSettings.SandboxKey)}\n`, sh(a, 'readlink /proc/self/ns/net'));
    // The per-container fields, from inside.
    assert.equal(sh(a, 'cat /proc/self/oom_score_adj'), '500\n');
    assert.match(sh(a, 'id -G'), /\b1\b.*\b1234\b|\b1234\b.*\b1\b/);
    assert.equal(sh(a, 'cat /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ping_group_range').replace(/\s+/g, ' '), '1 0 1000 ');
    // Each under the pod's cgroup, which Wharf made (it did not exist) and will remove.
    for (const id of [sandbox, a, b]) assert.ok(existsSync(path.join('/sys/fs/cgroup/memory', parent, id)), `${id} in ${parent}`);
    assert.match(readFileSync(`/proc/${ia.State.Pid}/cgroup`, 'utf8'), new RegExp(`memory:${parent}/${a}`));
    // Stop the pod: with the sandbox's PID namespace gone, its members die with it (as on Docker).
    assert.equal((await call('POST', `/containers/${sandbox}/stop?t=1`)).status, 204);
    for (const id of [a, b]) await eventually(async () => (await inspect(id)).State.Running === false, 10_000, `${id} dies with the sandbox`);
    assert.equal((await inspect(a)).State.ExitCode, 137);
    for (const id of [a, b, sandbox]) assert.equal((await call('DELETE', `/containers/${id}?v=1`)).status, 204);
    assert.ok(!existsSync(path.join('/sys/fs/cgroup/memory', parent)), 'the pod cgroup Wharf made is removed');
    assert.ok(!existsSync(path.join('/sys/fs/cgroup/memory', path.dirname(parent))));
    assert.ok(!hostMounts().includes(sandbox), 'no shm mount of the sandbox is left');
  });

  test('a parent cgroup Wharf did not make stays', async () => {
    const { mkdirSync } = await import('node:fs');
    for (const h of ['memory', 'pids']) mkdirSync(path.join('/sys/fs/cgroup', h, parent), { recursive: true });
    const id = await run({ Cmd: ['true'], HostConfig: { CgroupParent: parent, NetworkMode: 'none' } });
    await eventually(async () => (await inspect(id)).State.Status === 'exited');
    assert.equal((await call('DELETE', `/containers/${id}`)).status, 204);
    assert.ok(existsSync(path.join('/sys/fs/cgroup/memory', parent)), 'the caller\'s cgroup is kept');
    assert.ok(!existsSync(path.join('/sys/fs/cgroup/cpu', parent)), 'the one Wharf made (cpu) is removed');
  });
});

describe('namespace modes', () => {
  test('host PID, UTS and IPC; private IPC; a private cgroup namespace (cgroup v1 has them, as dockerd 20.10 applies it)', () => {
    const self = (n: string) => `${require('node:fs').readlinkSync(`/proc/self/ns/${n}`)}\n`;
    const out = (args: string[]) => {
      const r = d.docker(['run', '--rm', '--network', 'none', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    assert.equal(out(['--pid', 'host', 'busybox', 'readlink', '/proc/self/ns/pid']), self('pid'));
    assert.equal(out(['--uts', 'host', 'busybox', 'hostname']), `${require('node:os').hostname()}\n`);
    assert.equal(out(['--ipc', 'host', 'busybox', 'readlink', '/proc/self/ns/ipc']), self('ipc'));
    assert.notEqual(out(['--ipc', 'private', 'busybox', 'readlink', '/proc/self/ns/ipc']), self('ipc'));
    assert.notEqual(out(['--cgroupns', 'private', 'busybox', 'readlink', '/proc/self/ns/cgroup']), self('cgroup'));
    assert.equal(out(['--cgroupns', 'host', 'busybox', 'readlink', '/proc/self/ns/cgroup']), self('cgroup'));
    assert.match(out(['--shm-size', '2m', 'busybox', 'grep', '/dev/shm', '/proc/mounts']), /size=2048k/);
    assert.doesNotMatch(out(['--ipc', 'none', 'busybox', 'cat', '/proc/mounts']), /\/dev\/shm/);
  });

  test('an IPC donor that is stopped or not shareable: Docker\'s 500 and message at start', async () => {
    const made = await create({ Cmd: ['true'] }, 'stopped_donor');
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const stopped = made.body.Id;
    const j = await create({ Cmd: ['true'], HostConfig: { IpcMode: 'container:stopped_donor' } });
    assert.equal(j.status, 201, JSON.stringify(j.body));
    const s = await call('POST', `/containers/${j.body.Id}/start`);
    assert.deepEqual([s.status, s.body.message], [500, `can't join IPC of container ${stopped}: container ${stopped} is not running`]);
    const p = await create({ Cmd: ['true'], HostConfig: { PidMode: 'container:stopped_donor' } });
    const ps = await call('POST', `/containers/${p.body.Id}/start`);
    assert.deepEqual([ps.status, ps.body.message], [500, `container ${stopped} is not running`]);
    const priv = await run({ Cmd: ['sleep', '100'], HostConfig: { NetworkMode: 'none' } });
    const np = await create({ Cmd: ['true'], HostConfig: { IpcMode: `container:${priv}` } });
    const nps = await call('POST', `/containers/${np.body.Id}/start`);
    assert.deepEqual([nps.status, nps.body.message], [500, `can't join IPC of container ${priv}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`]);
    for (const id of [j.body.Id, p.body.Id, np.body.Id, priv, stopped]) await call('DELETE', `/containers/${id}?force=1`);
  });

  test('bad input is refused at create with Docker\'s status and message, and nothing is created', async () => {
    await run({ Cmd: ['sleep', '100'], HostConfig: { NetworkMode: 'none' } }, 'donor_up');
    const before = await count();
    const cases: [Record<string, unknown>, number, string | RegExp][] = [
      [{ HostConfig: { PidMode: 'container:missing' } }, 400, 'No such container: missing'],
      [{ HostConfig: { IpcMode: 'container:missing' } }, 400, 'No such container: missing'],
      [{ HostConfig: { Sysctls: { 'vm.swappiness': '1' } } }, 400, 'sysctl "vm.swappiness" is not in a separate kernel namespace'],
      [{ HostConfig: { NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } } }, 400, 'sysctl "net.ipv4.ip_forward" not allowed in host network namespace'],
      [{ HostConfig: { IpcMode: 'host', Sysctls: { 'kernel.shmmax': '1000' } } }, 400, 'sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace'],
      [{ HostConfig: { Sysctls: { 'kernel.hostname': 'x' } } }, 400, 'sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field'],
      [{ HostConfig: { OomScoreAdj: 2000 } }, 400, 'Invalid value 2000, range for oom score adj is [-1000, 1000]'],
      [{ HostConfig: { OomScoreAdj: -500 } }, 400, /OomScoreAdj -500: a negative OOM score adjustment needs CAP_SYS_RESOURCE/],
      [{ HostConfig: { IpcMode: 'bogus' } }, 400, 'Invalid IPC mode: bogus'],
      [{ HostConfig: { PidMode: 'bogus' } }, 400, 'invalid PID mode: bogus'],
      [{ HostConfig: { UTSMode: 'container:donor_up' } }, 400, 'invalid UTS mode: container:donor_up'],
      [{ HostConfig: { CgroupnsMode: 'bogus' } }, 400, 'invalid cgroup namespace mode: bogus'],
      [{ Hostname: 'x', HostConfig: { UTSMode: 'host' } }, 400, 'conflicting options: hostname and the UTS mode'],
      [{ Hostname: 'x', HostConfig: { NetworkMode: 'container:donor_up' } }, 400, 'conflicting options: hostname and the network mode'],
      [{ HostConfig: { NetworkMode: 'container:donor_up', Dns: ['1.1.1.1'] } }, 400, 'conflicting options: dns and the network mode'],
      [{ HostConfig: { NetworkMode: 'container:donor_up', ExtraHosts: ['a:1.2.3.4'] } }, 400, 'conflicting options: custom host-to-IP mapping and the network mode'],
      [{ HostConfig: { NetworkMode: 'container:donor_up', PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } }, 400, 'conflicting options: port publishing and the container type network mode'],
      [{ ExposedPorts: { '80/tcp': {} }, HostConfig: { NetworkMode: 'container:donor_up' } }, 400, 'conflicting options: port exposing and the container type network mode'],
      [{ HostConfig: { Mounts: [{ Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { Subpath: 'a' } }] } }, 400, /VolumeOptions.Subpath is not supported/],
      [{ HostConfig: { Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { Options: [['uid', '5']] } }] } }, 400, /tmpfs option \["uid","5"\] is not supported/],
    ];
    for (const [body, status, message] of cases) {
      const r = await create({ Cmd: ['true'], ...body });
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      if (typeof message === 'string') assert.equal(r.body.message, message);
      else assert.match(r.body.message, message);
    }
    assert.equal(await count(), before, 'nothing created');
    const cli = d.docker(['run', '--rm', '--oom-score-adj', '2000', 'busybox', 'true']);
    assert.notEqual(cli.code, 0);
    await call('DELETE', '/containers/donor_up?force=1');
  });

  test('Mounts[].TmpfsOptions applied: size, and the exec flag of Options', async () => {
    const id = await run({ Cmd: ['sleep', '100'], HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Options: [['exec']] } }, { Type: 'tmpfs', Target: '/n', TmpfsOptions: { Options: [['noexec']] } }] } });
    assert.match(sh(id, 'grep " /t " /proc/mounts'), /size=1024k/);
    assert.equal(sh(id, 'printf "#!/bin/sh\\necho ran\\n" > /t/x && chmod +x /t/x && /t/x'), 'ran\n');
    assert.match(d.docker(['exec', id, 'sh', '-c', 'cp /t/x /n/x && /n/x']).stderr, /Permission denied/);
    await call('DELETE', `/containers/${id}?force=1`);
  });

  test('MaskedPaths and ReadonlyPaths given in the request are applied', async () => {
    const id = await run({ Cmd: ['sleep', '100'], HostConfig: { NetworkMode: 'none', MaskedPaths: ['/proc/cpuinfo'], ReadonlyPaths: ['/etc'] } });
    assert.equal(sh(id, 'cat /proc/cpuinfo | wc -c').trim(), '0');
    assert.match(d.docker(['exec', id, 'touch', '/etc/x']).stderr, /Read-only file system/);
    await call('DELETE', `/containers/${id}?force=1`);
  });
});
