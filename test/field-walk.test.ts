import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { containerCreateBody, hostConfig, updateBody } from '../src/api/schemas/containers';
import { api, daemonForFile, eventually } from './helpers/wharfd';

// Issue 15's rule: every Config and HostConfig field of a create is applied or refused with
// Docker's error, never accepted and ignored. This walks the fields of the schema wharfd
// validates creates with (the API version it advertises): a field with no entry below fails
// (a new field must be classified), each probe checks from inside the container (or refuses),
// and the fields not yet proven are listed as todo, by name.
const d = daemonForFile();

/** A value, or what computes it when the probe runs (host facts). */
type Lazy<T> = T | (() => T);
const now = <T,>(v: Lazy<T>): T => (typeof v === 'function' ? (v as () => T)() : v);

type Probe =
  /** Applied: seen from inside the container's first run. */
  | { run: string[]; host?: Lazy<Record<string, unknown>>; config?: Record<string, unknown>; expect: Lazy<RegExp> }
  /** Refused at create (400) with this message. */
  | { refuse: RegExp; host?: Lazy<Record<string, unknown>>; config?: Record<string, unknown> }
  /** Applied outside a first run (stop, commit, health...): checked by this function. */
  | { custom: () => Promise<void> }
  /** Applied, and proven by the named test of another file (which must exist). */
  | { elsewhere: string; test: string }
  /** A field only the client acts on (dockerd ignores it too): nothing for a daemon to apply. */
  | { client: string };

async function create(config: Record<string, unknown>, host: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const r = await api(d.sock, 'POST', '/v1.50/containers/create', JSON.stringify({ Image: 'busybox', ...config, HostConfig: { NetworkMode: 'none', ...host } }), { 'content-type': 'application/json' });
  return { status: r.status, body: JSON.parse(r.body) };
}

/** Create a container (it must be created), run fn on its id, remove it whatever happens. */
async function withCreated(config: Record<string, unknown>, host: Record<string, unknown>, fn: (id: string) => Promise<void> | void): Promise<void> {
  const r = await create(config, host);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  try {
    await fn(r.body.Id);
  } finally {
    d.docker(['rm', '-f', r.body.Id]);
  }
}

async function probe(p: Probe): Promise<void> {
  if ('custom' in p) return p.custom();
  if ('client' in p) return;
  if ('elsewhere' in p) {
    const text = readFileSync(path.join(__dirname, '..', '..', 'test', p.elsewhere), 'utf8');
    assert.ok(text.includes(p.test), `${p.elsewhere} has no test "${p.test}"`);
    return;
  }
  if ('refuse' in p) {
    const r = await create({ Cmd: ['true'], ...p.config }, now(p.host ?? {}));
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.message, p.refuse);
    return;
  }
  const r = await create({ Cmd: p.run, ...p.config }, now(p.host ?? {}));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const out = d.docker(['start', '-a', r.body.Id]);
  d.docker(['rm', '-f', r.body.Id]);
  assert.match(out.stdout, now(p.expect), out.stderr);
}

/** Whether this host's cgroup v1 has a control file. */
function hostHas(file: string): boolean {
  return statSync(`/sys/fs/cgroup/${file}`, { throwIfNoEntry: false }) !== undefined;
}

const HOST: Record<string, Probe> = {
  IpcMode: { run: ['sh', '-c', 'grep -c /dev/shm /proc/mounts'], host: { IpcMode: 'none' }, expect: /^0$/m },
  PidMode: { run: ['sh', '-c', 'ps | wc -l'], host: { PidMode: 'host' }, expect: /^\s*([5-9]|\d\d+)/ },
  UTSMode: { run: ['hostname'], host: { UTSMode: 'host' }, expect: new RegExp(`^${require('node:os').hostname()}$`, 'm') },
  CgroupnsMode: { run: ['cat', '/proc/self/cgroup'], host: { CgroupnsMode: 'private' }, expect: /^\d+:memory:\/$/m },
  OomScoreAdj: { run: ['cat', '/proc/self/oom_score_adj'], host: { OomScoreAdj: 321 }, expect: /^321$/m },
  GroupAdd: { run: ['id', '-G'], host: { GroupAdd: ['4321'] }, expect: /\b4321\b/ },
  ShmSize: { run: ['grep', '/dev/shm', '/proc/mounts'], host: { ShmSize: 3 << 20 }, expect: /size=3072k/ },
  Sysctls: { run: ['cat', '/proc/sys/kernel/msgmax'], host: { Sysctls: { 'kernel.msgmax': '4242' } }, expect: /^4242$/m },
  Annotations: { elsewhere: 'container-options.test.ts', test: '--annotation reaches the runtime' },
  CgroupParent: { run: ['cat', '/proc/self/cgroup'], host: { CgroupParent: `/wfns-walk-${process.pid}` }, expect: new RegExp(`memory:/wfns-walk-${process.pid}/`) },
  MaskedPaths: { run: ['sh', '-c', 'wc -c < /proc/cpuinfo'], host: { MaskedPaths: ['/proc/cpuinfo'] }, expect: /^0$/m },
  ReadonlyPaths: { run: ['sh', '-c', 'touch /etc/x 2>&1'], host: { ReadonlyPaths: ['/etc'] }, expect: /Read-only/ },
  Tmpfs: { run: ['grep', ' /t ', '/proc/mounts'], host: { Tmpfs: { '/t': 'size=1m' } }, expect: /size=1024k/ },
  Mounts: { run: ['grep', ' /m ', '/proc/mounts'], host: { Mounts: [{ Type: 'tmpfs', Target: '/m', TmpfsOptions: { SizeBytes: 2 << 20 } }] }, expect: /size=2048k/ },
  ReadonlyRootfs: { run: ['sh', '-c', 'touch /x 2>&1'], host: { ReadonlyRootfs: true }, expect: /Read-only/ },
  Privileged: { run: ['sh', '-c', 'grep CapEff /proc/self/status'], host: { Privileged: true }, expect: /CapEff:\s+000001fffeffffff/ },
  CapAdd: { run: ['grep', 'CapEff', '/proc/self/status'], host: { CapAdd: ['SYS_ADMIN'] }, expect: /CapEff:\s+00000000a82425fb/ },
  CapDrop: { run: ['grep', 'CapEff', '/proc/self/status'], host: { CapDrop: ['ALL'] }, expect: /CapEff:\s+0{16}/ },
  Ulimits: { run: ['sh', '-c', 'ulimit -n'], host: { Ulimits: [{ Name: 'nofile', Soft: 777, Hard: 777 }] }, expect: /^777$/m },
  Memory: { run: ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes'], host: { Memory: 64 << 20 }, expect: /^67108864$/m },
  PidsLimit: { run: ['cat', '/sys/fs/cgroup/pids/pids.max'], host: { PidsLimit: 33 }, expect: /^33$/m },
  CpuShares: { run: ['cat', '/sys/fs/cgroup/cpu/cpu.shares'], host: { CpuShares: 333 }, expect: /^333$/m },
  Dns: { run: ['cat', '/etc/resolv.conf'], host: { Dns: ['10.9.9.9'] }, expect: /nameserver 10\.9\.9\.9/ },
  DnsSearch: { run: ['cat', '/etc/resolv.conf'], host: { DnsSearch: ['walk.example'] }, expect: /search walk\.example/ },
  DnsOptions: { run: ['cat', '/etc/resolv.conf'], host: { DnsOptions: ['ndots:3'] }, expect: /options ndots:3/ },
  ExtraHosts: { run: ['cat', '/etc/hosts'], host: { ExtraHosts: ['walk:10.1.2.3'] }, expect: /10\.1\.2\.3\s+walk/ },
  Init: { run: ['cat', '/proc/1/cmdline'], host: { Init: true }, expect: /docker-init/ },
  SecurityOpt: { refuse: /invalid --security-opt/, host: { SecurityOpt: ['bogus'] } },
  NetworkMode: { run: ['sh', '-c', 'ls /sys/class/net'], host: { NetworkMode: 'none' }, expect: /^lo$/m },
  NanoCpus: { run: ['cat', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us'], host: { NanoCpus: 5e8 }, expect: /^50000$/m },
  CpuPeriod: { run: ['cat', '/sys/fs/cgroup/cpu/cpu.cfs_period_us'], host: { CpuPeriod: 50000, CpuQuota: 20000 }, expect: /^50000$/m },
  CpuQuota: { run: ['cat', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us'], host: { CpuPeriod: 50000, CpuQuota: 20000 }, expect: /^20000$/m },
  CpusetCpus: { run: ['cat', '/sys/fs/cgroup/cpuset/cpuset.cpus'], host: { CpusetCpus: '0' }, expect: /^0$/m },
  CpusetMems: { run: ['cat', '/sys/fs/cgroup/cpuset/cpuset.mems'], host: { CpusetMems: '0' }, expect: /^0$/m },
  MemorySwap: { run: ['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo no-swap-accounting'], host: { Memory: 64 << 20, MemorySwap: 96 << 20 }, expect: /^(100663296|no-swap-accounting)$/m },
  MemoryReservation: { run: ['cat', '/sys/fs/cgroup/memory/memory.soft_limit_in_bytes'], host: { MemoryReservation: 32 << 20 }, expect: /^33554432$/m },
  MemorySwappiness: { run: ['cat', '/sys/fs/cgroup/memory/memory.swappiness'], host: { MemorySwappiness: 17 }, expect: /^17$/m },
  OomKillDisable: { run: ['cat', '/sys/fs/cgroup/memory/memory.oom_control'], host: { Memory: 64 << 20, OomKillDisable: true }, expect: /^oom_kill_disable 1$/m },
  KernelMemoryTCP: { refuse: /KernelMemoryTCP: kernel memory limits are not supported/, host: { KernelMemoryTCP: 16 << 20 } },
  KernelMemory: { refuse: /KernelMemory: kernel memory limits are not supported/, host: { KernelMemory: 16 << 20 } },
  BlkioDeviceReadBps: { run: ['cat', '/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device'], host: () => ({ BlkioDeviceReadBps: [{ Path: blockDev().path, Rate: 1048576 }] }), expect: () => new RegExp(`^${blockDev().numbers} 1048576$`, 'm') },
  BlkioDeviceWriteBps: { run: ['cat', '/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device'], host: () => ({ BlkioDeviceWriteBps: [{ Path: blockDev().path, Rate: 2097152 }] }), expect: () => new RegExp(`^${blockDev().numbers} 2097152$`, 'm') },
  BlkioDeviceReadIOps: { run: ['cat', '/sys/fs/cgroup/blkio/blkio.throttle.read_iops_device'], host: () => ({ BlkioDeviceReadIOps: [{ Path: blockDev().path, Rate: 300 }] }), expect: () => new RegExp(`^${blockDev().numbers} 300$`, 'm') },
  BlkioDeviceWriteIOps: { run: ['cat', '/sys/fs/cgroup/blkio/blkio.throttle.write_iops_device'], host: () => ({ BlkioDeviceWriteIOps: [{ Path: blockDev().path, Rate: 200 }] }), expect: () => new RegExp(`^${blockDev().numbers} 200$`, 'm') },
  // This kernel's blkio controller has no weight file (no CFQ/BFQ): refused, where dockerd drops it with a warning.
  BlkioWeight: hostHas('blkio/blkio.weight') ? { run: ['cat', '/sys/fs/cgroup/blkio/blkio.weight'], host: { BlkioWeight: 300 }, expect: /^300$/m } : { refuse: /does not support Block I\/O weight/, host: { BlkioWeight: 300 } },
  BlkioWeightDevice: hostHas('blkio/blkio.weight_device') ? { elsewhere: 'field-walk.test.ts', test: 'BlkioWeight' } : { refuse: /does not support Block I\/O weight_device/, host: () => ({ BlkioWeightDevice: [{ Path: blockDev().path, Weight: 300 }] }) },
  CpuRealtimePeriod: hostHas('cpu/cpu.rt_period_us') ? { run: ['cat', '/sys/fs/cgroup/cpu/cpu.rt_period_us'], host: { CpuRealtimePeriod: 500000 }, expect: /^500000$/m } : { refuse: /does not support CPU real-time/, host: { CpuRealtimePeriod: 500000 } },
  // A real-time budget needs one in the parent cgroup (dockerd's --cpu-rt-runtime); none here, so the kernel refuses it at start, as for dockerd.
  CpuRealtimeRuntime: { custom: () => withCreated({ Cmd: ['true'] }, { CpuRealtimeRuntime: 100 }, (id) => {
    const start = d.docker(['start', id]);
    assert.notEqual(start.code, 0);
    assert.match(start.stderr, /cpu\.rt_runtime_us/);
  }) },
  DeviceCgroupRules: { run: ['cat', '/sys/fs/cgroup/devices/devices.list'], host: { DeviceCgroupRules: ['c 42:7 rw'] }, expect: /^c 42:7 rw$/m },
  Devices: { run: ['ls', '-l', '/dev/walknull'], host: { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/walknull', CgroupPermissions: 'rwm' }] }, expect: /^c.* 1,\s+3 .*\/dev\/walknull$/m },
  DeviceRequests: { refuse: /could not select device driver "" with capabilities: \[\[gpu\]\]/, host: { DeviceRequests: [{ Count: -1, Capabilities: [['gpu']] }] } },
  CpuCount: { refuse: /linux does not support CPU count/, host: { CpuCount: 2 } },
  CpuPercent: { refuse: /linux does not support CPU percent/, host: { CpuPercent: 50 } },
  IOMaximumIOps: { refuse: /linux does not support configuration of maximum IOPs/, host: { IOMaximumIOps: 100 } },
  IOMaximumBandwidth: { refuse: /linux does not support configuration of maximum bandwidth/, host: { IOMaximumBandwidth: 100 } },
  VolumeDriver: { refuse: /error looking up volume plugin nope: plugin "nope" not found/, host: { VolumeDriver: 'nope' } },
  Cgroup: { refuse: /joining another container's cgroup is not supported/, host: { Cgroup: 'container:x' } },
  StorageOpt: { refuse: /--storage-opt is supported only for overlay over xfs with 'pquota' mount option/, host: { StorageOpt: { size: '1G' } } },
  UsernsMode: { refuse: /invalid USER mode: private/, host: { UsernsMode: 'private' } },
  Runtime: { refuse: /Unknown runtime specified nope/, host: { Runtime: 'nope' } },
  Isolation: { refuse: /Invalid isolation: "hyperv" - linux only supports 'default'/, host: { Isolation: 'hyperv' } },
  ConsoleSize: { run: ['stty', 'size'], config: { Tty: true }, host: { ConsoleSize: [33, 77] }, expect: /^33 77\r?$/m },
  Binds: { run: ['cat', '/walk/hostname'], host: { Binds: ['/etc:/walk:ro'] }, expect: new RegExp(`^${require('node:os').hostname()}$`, 'm') },
  ContainerIDFile: { client: 'the docker CLI writes the id to it (run --cidfile); dockerd ignores it as well' },
  LogConfig: { elsewhere: 'log-rotation.test.ts', test: 'max-size' },
  PortBindings: { elsewhere: 'cli-flags.test.ts', test: 'ports: every -p form' },
  PublishAllPorts: { elsewhere: 'cli-flags.test.ts', test: 'ports: every -p form, ranges, udp, --expose, -P' },
  RestartPolicy: { elsewhere: 'restart-policy.test.ts', test: 'on-failure:N restarts a failing container' },
  AutoRemove: { elsewhere: 'cli.test.ts', test: 'run --rm echo hello prints hello' },
  VolumesFrom: { elsewhere: 'volumes.test.ts', test: 'copies volumes and binds' },
  Links: { elsewhere: 'network.test.ts', test: 'environment (seed-features §4.4) and an /etc/hosts entry' },
};

const CONFIG: Record<string, Probe> = {
  Hostname: { run: ['hostname'], config: { Hostname: 'walker' }, expect: /^walker$/m },
  Domainname: { run: ['cat', '/proc/sys/kernel/domainname'], config: { Domainname: 'walk.example' }, expect: /^walk\.example$/m },
  User: { run: ['id', '-u'], config: { User: '1000' }, expect: /^1000$/m },
  Env: { run: ['sh', '-c', 'echo $WALK'], config: { Env: ['WALK=yes'] }, expect: /^yes$/m },
  Cmd: { run: ['echo', 'cmd-ran'], expect: /^cmd-ran$/m },
  Entrypoint: { run: ['entry'], config: { Entrypoint: ['echo'] }, expect: /^entry$/m },
  WorkingDir: { run: ['pwd'], config: { WorkingDir: '/walk' }, expect: /^\/walk$/m },
  Image: { run: ['true'], expect: /^$/ },
  Tty: { run: ['tty'], config: { Tty: true }, expect: /^\/dev\/pts\/\d+\r?$/m },
  Volumes: { run: ['sh', '-c', 'grep -c " /walkvol " /proc/mounts'], config: { Volumes: { '/walkvol': {} } }, expect: /^1$/m },
  NetworkDisabled: { run: ['ls', '/sys/class/net'], config: { NetworkDisabled: true }, host: { NetworkMode: '' }, expect: /^lo\n?$/ },
  ArgsEscaped: { refuse: /linux does not support escaped command lines/, config: { ArgsEscaped: true } },
  Labels: { custom: () => withCreated({ Cmd: ['true'], Labels: { walk: 'labelled' } }, {}, (id) => {
    assert.equal(d.dockerOk(['ps', '-aq', '--no-trunc', '--filter', 'label=walk=labelled']).trim(), id);
  }) },
  StopSignal: { custom: () => withCreated({ Cmd: ['sh', '-c', 'trap "echo got-usr1; exit 3" USR1; while true; do sleep 0.1; done'], StopSignal: 'SIGUSR1' }, {}, async (id) => {
    d.dockerOk(['start', id]);
    await eventually(() => d.dockerOk(['top', id]).includes('sleep'), 5000, 'trap set');
    d.dockerOk(['stop', '-t', '10', id]);
    assert.equal(d.dockerOk(['inspect', '-f', '{{.State.ExitCode}}', id]).trim(), '3');
    assert.match(d.dockerOk(['logs', id]), /got-usr1/);
  }) },
  StopTimeout: { elsewhere: 'fidelity.test.ts', test: 'StopTimeout -1 wait' },
  OnBuild: { custom: () => withCreated({ Cmd: ['true'], OnBuild: ['RUN echo walked'] }, {}, (id) => {
    try {
      const img = d.dockerOk(['commit', id, 'walk-onbuild:1']).trim();
      assert.equal(d.dockerOk(['image', 'inspect', '-f', '{{json .Config.OnBuild}}', img]).trim(), '["RUN echo walked"]');
    } finally {
      d.docker(['rmi', 'walk-onbuild:1']);
    }
  }) },
  Healthcheck: { elsewhere: 'health.test.ts', test: 'a failing check turns unhealthy' },
  // CMD-SHELL checks run under the container's shell, as dockerd's (measured: "via-shell hello").
  Shell: { custom: () => withCreated({ Cmd: ['sleep', '30'], Shell: ['/bin/echo', 'via-shell'], Healthcheck: { Test: ['CMD-SHELL', 'hello'], Interval: 200_000_000 } }, {}, async (id) => {
    d.dockerOk(['start', id]);
    await eventually(() => /via-shell hello/.test(d.dockerOk(['inspect', '-f', '{{json .State.Health.Log}}', id])), 10_000, 'a probe ran under the shell');
  }) },
  ExposedPorts: { elsewhere: 'cli-flags.test.ts', test: '--expose' },
  MacAddress: { elsewhere: 'fidelity-shapes.test.ts', test: '--mac-address: the interface has it' },
  AttachStdin: { elsewhere: 'interactive.test.ts', test: 'echo hi | docker run -i busybox cat' },
  OpenStdin: { elsewhere: 'interactive.test.ts', test: 'docker start -a -i feeds stdin' },
  StdinOnce: { elsewhere: 'interactive.test.ts', test: 'echo hi | docker run -i busybox cat' },
  AttachStdout: { elsewhere: 'interactive.test.ts', test: '-a stdout attaches only stdout' },
  AttachStderr: { elsewhere: 'interactive.test.ts', test: '-a stdout attaches only stdout' },
};

function walk(fields: string[], table: Record<string, Probe>): void {
  for (const f of fields) {
    const p = table[f];
    // A field nobody classified fails: a new field of the API must be applied or refused.
    test(f, () => (p ? probe(p) : assert.fail(`${f} is neither applied nor refused by wharfd (classify it in this walk)`)));
  }
}

/** A block device of this host for the blkio throttles, and its numbers as the cgroup files print them. */
function blockDev(): { path: string; numbers: string } {
  const name = readdirSync('/sys/block').find((b) => !b.startsWith('loop') && !b.startsWith('ram') && statSync(`/dev/${b}`, { throwIfNoEntry: false })?.isBlockDevice());
  if (!name) throw new Error('no block device on this host');
  return { path: `/dev/${name}`, numbers: readFileSync(`/sys/block/${name}/dev`, 'utf8').trim() };
}

describe('Config fields of a create', () => {
  walk(Object.keys((containerCreateBody as any).properties).filter((k) => k !== 'HostConfig' && k !== 'NetworkingConfig'), CONFIG);
});

describe('HostConfig fields of a create', () => {
  walk(Object.keys((hostConfig as any).properties), HOST);
});

describe('fields of an update', () => {
  // Applied by docker update (proven in cli-commands.test.ts: "sets limits and the restart policy as docker update does").
  const APPLIED = ['CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'Memory', 'MemorySwap', 'PidsLimit', 'RestartPolicy'];
  // Any other field given a value is refused (recreate the container), never kept unapplied.
  const SAMPLE: Record<string, unknown> = {
    CgroupParent: '/x', BlkioWeight: 300, BlkioWeightDevice: [{ Path: '/dev/null', Weight: 300 }], BlkioDeviceReadBps: [{ Path: '/dev/null', Rate: 1 }],
    BlkioDeviceWriteBps: [{ Path: '/dev/null', Rate: 1 }], BlkioDeviceReadIOps: [{ Path: '/dev/null', Rate: 1 }], BlkioDeviceWriteIOps: [{ Path: '/dev/null', Rate: 1 }],
    CpuRealtimePeriod: 1000, CpuRealtimeRuntime: 100, Devices: [{ PathOnHost: '/dev/null' }], DeviceCgroupRules: ['c 1:3 r'], DeviceRequests: [{ Count: 1 }],
    KernelMemory: 1 << 24, KernelMemoryTCP: 1 << 24, MemoryReservation: 1 << 24, MemorySwappiness: 10, OomKillDisable: true,
    Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 10 }], CpuCount: 1, CpuPercent: 1, IOMaximumIOps: 1, IOMaximumBandwidth: 1,
  };
  test('every field is applied or refused', async () => {
    const fields = Object.keys((updateBody as any).properties);
    assert.deepEqual(fields.filter((f) => !APPLIED.includes(f) && !(f in SAMPLE)), [], 'fields of the update body nobody classified');
    await withCreated({ Cmd: ['true'] }, {}, async (id) => {
      for (const [f, v] of Object.entries(SAMPLE)) {
        const r = await api(d.sock, 'POST', `/v1.50/containers/${id}/update`, JSON.stringify({ [f]: v }), { 'content-type': 'application/json' });
        assert.equal(r.status, 400, `${f}: ${r.status} ${r.body}`);
        assert.match(JSON.parse(r.body).message, new RegExp(`^${f} cannot be updated by wharfd`));
      }
      // What the docker CLI sends (every field, zero when not asked for) is no refusal.
      const STRINGS = ['CpusetCpus', 'CpusetMems', 'CgroupParent'];
      const zero = Object.fromEntries(fields.map((f) => [f, f === 'RestartPolicy' ? { Name: '', MaximumRetryCount: 0 } : STRINGS.includes(f) ? '' : Array.isArray(SAMPLE[f]) || typeof SAMPLE[f] === 'boolean' || f === 'MemorySwappiness' ? null : 0]));
      const ok = await api(d.sock, 'POST', `/v1.50/containers/${id}/update`, JSON.stringify({ ...zero, CpuShares: 512 }), { 'content-type': 'application/json' });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(d.dockerOk(['inspect', '-f', '{{.HostConfig.CpuShares}}', id]).trim(), '512');
    });
  });
  test('the applied ones are proven elsewhere', () => probe({ elsewhere: 'cli-commands.test.ts', test: 'sets limits and the restart policy as docker update does' }));
});
