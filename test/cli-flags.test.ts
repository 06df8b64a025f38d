import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestDaemon } from './helpers/wharfd';

// The `wharf` CLI against the real docker CLI on one wharfd: the same run/create flags make
// the same container (docker inspect of both must agree), the same bad flags fail with the
// same text and status, and port/network print what docker prints.
const d = new TestDaemon();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-cliflags-'));
const octet = 100 + ((process.pid + 91) % 150);
before(async () => {
  await d.start();
  d.importBusybox();
});
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await d.cleanup();
});

const HOST_FIELDS = ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'Ulimits', 'PortBindings', 'PublishAllPorts', 'RestartPolicy', 'CapAdd', 'CapDrop', 'SecurityOpt', 'Devices', 'Tmpfs', 'Dns', 'DnsSearch', 'DnsOptions', 'ExtraHosts', 'GroupAdd', 'ShmSize', 'OomKillDisable', 'LogConfig', 'Links', 'NetworkMode', 'AutoRemove', 'Init', 'Binds'];
const CONFIG_FIELDS = ['Env', 'ExposedPorts', 'Healthcheck', 'Domainname', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'OpenStdin', 'StdinOnce', 'Tty', 'Cmd', 'Labels', 'StopTimeout'];

function inspect(name: string): { HostConfig: Record<string, unknown>; Config: Record<string, unknown> } {
  return JSON.parse(d.dockerOk(['inspect', name]))[0];
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

let seq = 0;
/** Create with docker and with wharf (same flags), and compare what docker inspect says of each. */
function sameContainer(flags: string[], cmd: 'create' | 'run' = 'create', extraCmd: string[] = ['sh']): void {
  const n = ++seq;
  const dn = `flags-d${n}`;
  const wn = `flags-w${n}`;
  try {
    d.dockerOk([cmd, '--name', dn, ...flags, 'busybox', ...extraCmd]);
    d.wharfOk([cmd, '--name', wn, ...flags, 'busybox', ...extraCmd]);
    const a = inspect(dn);
    const b = inspect(wn);
    assert.deepEqual(pick(b.HostConfig, HOST_FIELDS), pick(a.HostConfig, HOST_FIELDS), flags.join(' '));
    assert.deepEqual(pick(b.Config, CONFIG_FIELDS), pick(a.Config, CONFIG_FIELDS), flags.join(' '));
  } finally {
    d.docker(['rm', '-f', dn, wn]);
  }
}

describe('run/create flags: wharf makes the container docker makes', () => {
  test('resources: memory, swap, cpus, shares, cfs, cpusets, pids, ulimits, shm, oom', () => {
    sameContainer(['-m', '64m', '--memory-swap', '128m', '--memory-reservation', '32m', '-c', '512', '--cpus', '1.5', '--cpuset-cpus', '0', '--cpuset-mems', '0', '--pids-limit', '100', '--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=50', '--shm-size', '32m', '--oom-kill-disable']);
    sameContainer(['--cpu-period', '100000', '--cpu-quota', '50000', '--memory-swap', '-1', '-m', '1g']);
  });

  test('ports: every -p form, ranges, udp, --expose, -P', () => {
    sameContainer(['-p', '127.0.0.1:18080:80', '-p', '127.0.0.1:19000-19001:90-91/udp', '-p', '127.0.0.1::53', '-p', '7000', '--expose', '5000-5001', '--expose', '6000/udp', '-P']);
  });

  test('health, restart, security, devices, tmpfs, caps, logging', () => {
    sameContainer(['--restart', 'on-failure:3', '--health-cmd', 'true', '--health-interval', '1s', '--health-timeout', '500ms', '--health-retries', '2', '--health-start-period', '1m', '--health-start-interval', '2s']);
    sameContainer(['--no-healthcheck', '--restart', 'unless-stopped', '--cap-add', 'net_admin', '--cap-drop', 'CHOWN', '--security-opt', 'no-new-privileges', '--device', '/dev/null:/dev/xnull:rw', '--device', '/dev/zero', '--tmpfs', '/run:rw,size=64m', '--tmpfs', '/t', '--log-driver', 'json-file', '--log-opt', 'labels=a']);
  });

  test('names and hosts: dns, add-host, group-add, domainname, env-file, attach, init', () => {
    const envFile = path.join(tmp, 'env');
    writeFileSync(envFile, '# settings\nA=1\nB=two words\n');
    sameContainer(['--dns', '1.1.1.1', '--dns-search', 'example.com', '--dns-option', 'ndots:2', '--add-host', 'h1:10.1.2.3', '--add-host', 'h2=::1', '--group-add', '10', '--domainname', 'example.org', '--env-file', envFile, '-e', 'C=3', '-a', 'stdout', '-i', '--init', '--stop-timeout', '4', '-l', 'x=y']);
  });

  test('run -d with the same flags, then wharf port prints what docker port prints', () => {
    const dn = 'flags-port-d';
    const wn = 'flags-port-w';
    // The test daemon has no default bridge: publish on a user-defined network.
    const net = `flagports-${process.pid}`;
    try {
      d.dockerOk(['network', 'create', '--subnet', `10.${octet}.78.0/24`, net]);
      d.dockerOk(['run', '-d', '--name', dn, '--network', net, '-p', '127.0.0.1::80', '-p', '127.0.0.1::53/udp', 'busybox', 'sleep', '60']);
      d.wharfOk(['run', '-d', '--name', wn, '--network', net, '-p', '127.0.0.1::80', '-p', '127.0.0.1::53/udp', 'busybox', 'sleep', '60']);
      const a = inspect(dn);
      const b = inspect(wn);
      assert.deepEqual(b.HostConfig.PortBindings, a.HostConfig.PortBindings);
      const all = d.wharfOk(['port', wn]);
      assert.equal(all, d.dockerOk(['port', wn]));
      assert.match(all, /^53\/udp -> 127\.0\.0\.1:\d+\n80\/tcp -> 127\.0\.0\.1:\d+\n$/);
      assert.equal(d.wharfOk(['port', wn, '80']), d.dockerOk(['port', wn, '80']));
      assert.equal(d.wharfOk(['container', 'port', wn, '53/udp']), d.dockerOk(['port', wn, '53/udp']));
      const miss = d.wharf(['port', wn, '81']);
      const dmiss = d.docker(['port', wn, '81']);
      assert.equal(miss.stderr, dmiss.stderr);
      assert.equal(miss.code, dmiss.code);
    } finally {
      d.docker(['rm', '-f', dn, wn]);
      d.docker(['network', 'rm', net]);
    }
  });
});

describe('run/create flag errors: docker\'s text and status', () => {
  const cases: string[][] = [
    ['create', '-m', '12zz'],
    ['create', '--memory-swap', 'x'],
    ['create', '--cpus', 'abc'],
    ['create', '--health-interval', '1'],
    ['create', '--ulimit', 'nofile=2:1'],
    ['create', '-a', 'foo'],
    ['create', '--dns', 'x'],
    ['create', '--add-host', 'bad'],
    ['create', '-c', 'x'],
    ['create', '-p', 'abc'],
    ['run', '-p', '1-3:4-5'],
    ['create', '--expose', 'x'],
    ['create', '--restart', 'always', '--rm'],
    ['run', '--restart', 'on-failure:x'],
    ['create', '--device', 'rel'],
    ['create', '--env-file', '/nonexistent-wharf-env'],
    ['create', '--pull', 'sometimes'],
    ['create', '--no-healthcheck', '--health-retries', '1'],
    ['create', '--security-opt', 'foo'],
    ['run', '--network-alias', 'x'],
    ['run', '-d', '-a', 'stdout'],
  ];
  for (const c of cases) {
    test(c.join(' '), () => {
      const a = d.docker([...c, 'busybox']);
      const b = d.wharf([...c, 'busybox']);
      assert.equal(b.stderr, a.stderr.replace(/docker/g, 'wharf'));
      assert.equal(b.code, a.code);
      assert.equal(b.code === 125 || b.code === 1, true);
    });
  }
});

describe('wharf network', () => {
  test('create, ls, inspect, connect, disconnect, rm, prune as docker', () => {
    const net = `flagnet-${process.pid}`;
    const net2 = `flagnet2-${process.pid}`;
    const c = 'flags-net-c';
    try {
      const id = d.wharfOk(['network', 'create', '--subnet', `10.${octet}.77.0/24`, '--gateway', `10.${octet}.77.1`, '--label', 'a=b', net]).trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      const ls = d.wharfOk(['network', 'ls']);
      assert.equal(ls, d.dockerOk(['network', 'ls']));
      assert.match(ls.split('\n')[0], /^NETWORK ID +NAME +DRIVER +SCOPE$/);
      assert.match(ls, new RegExp(`\\n${id.slice(0, 12)} +${net} +bridge +local\\n`));
      assert.equal(d.wharfOk(['network', 'ls', '-q', '-f', `name=${net}`]), `${id.slice(0, 12)}\n`);
      assert.equal(d.wharfOk(['network', 'inspect', net]), d.dockerOk(['network', 'inspect', net]));
      const ipam = JSON.parse(d.wharfOk(['network', 'inspect', net]))[0].IPAM.Config;
      assert.deepEqual(ipam, [{ Subnet: `10.${octet}.77.0/24`, Gateway: `10.${octet}.77.1` }]);
      d.dockerOk(['create', '--name', c, 'busybox', 'sh']);
      d.wharfOk(['network', 'connect', '--ip', `10.${octet}.77.9`, '--alias', 'web', net, c]);
      const eps = JSON.parse(d.dockerOk(['inspect', c]))[0].NetworkSettings.Networks;
      assert.deepEqual(eps[net].IPAMConfig, { IPv4Address: `10.${octet}.77.9` });
      assert.ok(eps[net].Aliases.includes('web'));
      d.wharfOk(['network', 'disconnect', net, c]);
      assert.equal(JSON.parse(d.dockerOk(['inspect', c]))[0].NetworkSettings.Networks[net], undefined);
      const gone = d.wharf(['network', 'rm', 'no-such-net']);
      const dgone = d.docker(['network', 'rm', 'no-such-net']);
      assert.equal(gone.stderr, dgone.stderr);
      assert.equal(gone.code, dgone.code);
      assert.equal(d.wharf(['network', 'rm', '-f', 'no-such-net']).code, 0);
      assert.equal(d.wharfOk(['network', 'rm', net]), `${net}\n`);
      d.wharfOk(['network', 'create', net2]);
      const pruned = d.wharfOk(['network', 'prune', '-f']);
      assert.equal(pruned, `Deleted Networks:\n${net2}\n\n`);
    } finally {
      d.docker(['rm', '-f', c]);
      d.docker(['network', 'rm', net, net2]);
    }
  });

  test('usage errors as docker prints them', () => {
    for (const args of [['network', 'create'], ['network', 'connect', 'a'], ['network', 'rm'], ['port']]) {
      const a = d.docker(args);
      const b = d.wharf(args);
      assert.equal(b.stderr, a.stderr.replace(/docker/g, 'wharf'), args.join(' '));
      assert.equal(b.code, a.code);
    }
  });
});
