import assert from 'node:assert/strict';
import { test } from 'node:test';
import Docker from 'dockerode';
import { daemonForFile, runSync } from './helpers/wharfd';

// The orchestrator fields as the client libraries send them (issue 15): docker-py 5 builds a
// pod (a shareable sandbox and a container joining its network, IPC and PID namespaces, with
// an OOM score and supplementary groups), dockerode a container with sysctls, /dev/shm size,
// memory reservation, log rotation; each is checked from inside the container and in inspect.
const d = daemonForFile();

const PY = `
import docker, json
c = docker.from_env()
sb = c.containers.run('busybox', ['sleep', '30'], detach=True, name='pysb', ipc_mode='shareable', network_mode='none', labels={'io.kubernetes.pod': 'p1'})
NS = 'for n in ipc pid net; do readlink /proc/self/ns/$n; done'
w = c.containers.run('busybox', ['sh', '-c', NS + '; cat /proc/self/oom_score_adj; id -G; ps -o comm | grep -c sleep'],
                     detach=True, name='pyw', ipc_mode='container:pysb', pid_mode='container:pysb', network_mode='container:pysb', oom_score_adj=321, group_add=['4321'])
w.wait()
out = w.logs().decode()
ns = sb.exec_run(['sh', '-c', NS]).output.decode()
hc = c.api.inspect_container('pyw')['HostConfig']
print(json.dumps({'id': sb.id, 'out': out, 'sandbox': ns, 'hc': {k: hc[k] for k in ['IpcMode', 'PidMode', 'NetworkMode', 'OomScoreAdj', 'GroupAdd']}}))
w.remove()
sb.remove(force=True)
`;

test('docker-py: a pod (ipc_mode shareable, then container: for ipc, pid and network) with oom_score_adj and group_add: applied, and inspect says so', () => {
  const r = runSync('/usr/bin/python3', ['-c', PY], d.env, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { id: string; out: string; sandbox: string; hc: Record<string, unknown> };
  const lines = got.out.trim().split('\n');
  // The joiner's IPC, PID and network namespaces are the sandbox's.
  assert.deepEqual(lines.slice(0, 3), got.sandbox.trim().split('\n'));
  assert.equal(lines[3], '321');
  assert.match(lines[4], /\b4321\b/);
  assert.equal(lines[5], '1', 'the sandbox\'s sleep is seen from the joiner');
  // dockerd records each donor by its id (measured).
  const donor = `container:${got.id}`;
  assert.deepEqual(got.hc, { IpcMode: donor, PidMode: donor, NetworkMode: donor, OomScoreAdj: 321, GroupAdd: ['4321'] });
});

test('dockerode: sysctls, shm size, memory reservation and json-file rotation options are applied; a non-namespaced sysctl is refused', async () => {
  const docker = new Docker({ socketPath: d.sock });
  const c = await docker.createContainer({
    Image: 'busybox',
    Cmd: ['sh', '-c', 'cat /proc/sys/kernel/msgmax; grep " /dev/shm " /proc/mounts; cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes'],
    HostConfig: {
      NetworkMode: 'none',
      Sysctls: { 'kernel.msgmax': '4343' },
      ShmSize: 3 * 1024 * 1024,
      MemoryReservation: 32 * 1024 * 1024,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } },
    },
  });
  try {
    await c.start();
    assert.equal((await c.wait()).StatusCode, 0);
    const out = (await c.logs({ stdout: true, stderr: true })).toString('utf8');
    assert.match(out, /4343/);
    assert.match(out, /size=3072k/);
    assert.match(out, /33554432/);
    const hc = (await c.inspect()).HostConfig as unknown as Record<string, unknown>;
    assert.deepEqual(hc.LogConfig, { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } });
    assert.deepEqual(hc.Sysctls, { 'kernel.msgmax': '4343' });
  } finally {
    await c.remove({ force: true });
  }
  const before = (await docker.listContainers({ all: true })).length;
  await assert.rejects(
    docker.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { Sysctls: { 'vm.swappiness': '10' } } }),
    (e: Error & { statusCode?: number }) => e.statusCode === 400 && /vm\.swappiness/.test(e.message),
  );
  assert.equal((await docker.listContainers({ all: true })).length, before);
});
