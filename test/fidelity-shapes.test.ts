import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { TestDaemon, api } from './helpers/wharfd';

// Docker fidelity: shapes (issue 11), each as a client sees it, checked against Docker 20.10 (and 28's CLI).
const d = new TestDaemon();
before(async () => {
  await d.start(['-b', 'wshp2', '--bip', '10.214.2.1/24']);
  d.importBusybox();
});
after(() => d.cleanup());

const ok = (args: string[]) => d.dockerOk(args);
const fails = (args: string[]) => {
  const r = d.docker(args);
  assert.notEqual(r.code, 0, `docker ${args.join(' ')} succeeded: ${r.stdout}`);
  return r.stderr;
};
const json = (v: string) => JSON.parse(v) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
const inspect = async (ref: string, version = 'v1.41') => json((await api(d.sock, 'GET', `/${version}/containers/${ref}/json`)).body);
const post = (p: string, body: unknown) => api(d.sock, 'POST', p, JSON.stringify(body), { 'Content-Type': 'application/json' });
const rmf = (...names: string[]) => d.docker(['rm', '-f', ...names]);

describe('the log driver is reported as json-file, and only json-file or none is taken', () => {
  test('inspect LogConfig and info LoggingDriver say json-file', async () => {
    ok(['create', '--name', 'lg1', 'busybox', 'true']);
    const c = await inspect('lg1');
    assert.deepEqual(c.HostConfig.LogConfig, { Type: 'json-file', Config: {} });
    const info = json((await api(d.sock, 'GET', '/info')).body);
    assert.equal(info.LoggingDriver, 'json-file');
    assert.deepEqual(info.Plugins.Log, ['json-file', 'none']);
    ok(['create', '--name', 'lg2', '--log-opt', 'labels=a', '--log-opt', 'tag=x', 'busybox', 'true']);
    assert.deepEqual((await inspect('lg2')).HostConfig.LogConfig, { Type: 'json-file', Config: { labels: 'a', tag: 'x' } });
    // Without max-size Docker never rotates: max-file alone changes nothing there either, and is taken.
    ok(['create', '--name', 'lg3', '--log-opt', 'max-file=3', 'busybox', 'true']);
    assert.deepEqual((await inspect('lg3')).HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-file': '3' } });
    rmf('lg1', 'lg2', 'lg3');
  });

  test('another driver, an unknown option, or a bad rotation value is refused at create', () => {
    assert.match(fails(['create', '--log-driver', 'syslog', 'busybox', 'true']), /error looking up logging plugin syslog: plugin "syslog" not found/);
    assert.match(fails(['create', '--log-driver', 'foo', 'busybox', 'true']), /error looking up logging plugin foo: plugin "foo" not found/);
    assert.match(fails(['create', '--log-opt', 'bogus=1', 'busybox', 'true']), /unknown log opt 'bogus' for json-file log driver/);
    assert.match(fails(['create', '--log-opt', 'max-size=1q', 'busybox', 'true']), /failed to initialize logging driver: invalid size: '1q'/);
    assert.match(fails(['create', '--log-opt', 'max-file=0', 'busybox', 'true']), /max-file cannot be less than 1/);
    assert.equal(ok(['ps', '-aq']).trim(), '');
  });

  test('--log-driver none: the output still reaches an attached client, logs cannot be read (501)', async () => {
    assert.equal(ok(['run', '--name', 'lgn', '--log-driver', 'none', 'busybox', 'echo', 'hi']), 'hi\n');
    assert.equal((await inspect('lgn')).HostConfig.LogConfig.Type, 'none');
    const r = await api(d.sock, 'GET', '/containers/lgn/logs?stdout=1');
    assert.equal(r.status, 501);
    assert.equal(json(r.body).message, 'configured logging driver does not support reading');
    rmf('lgn');
  });
});

describe('stats have the networks of the container', () => {
  test('per interface of its own namespace, without lo; none with --network host', async () => {
    ok(['run', '-d', '--name', 'st', 'busybox', 'sleep', '1000']);
    ok(['exec', 'st', 'ping', '-c', '2', '-W', '2', '10.214.2.1']);
    const s = json((await api(d.sock, 'GET', '/containers/st/stats?stream=0')).body);
    assert.deepEqual(Object.keys(s.networks), ['eth0']);
    assert.deepEqual(Object.keys(s.networks.eth0).sort(), ['rx_bytes', 'rx_dropped', 'rx_errors', 'rx_packets', 'tx_bytes', 'tx_dropped', 'tx_errors', 'tx_packets']);
    assert.ok(s.networks.eth0.tx_packets >= 2 && s.networks.eth0.rx_packets >= 2, JSON.stringify(s.networks));
    ok(['run', '-d', '--name', 'sth', '--network', 'host', 'busybox', 'sleep', '1000']);
    const h = json((await api(d.sock, 'GET', '/containers/sth/stats?stream=0')).body);
    assert.equal(h.networks, undefined);
    rmf('st', 'sth');
  });
});

describe('networks and endpoints keep what was asked', () => {
  test('IPAM.Options: null unless the create gave them ({} from the docker CLI)', async () => {
    const r = await post('/networks/create', { Name: 'ipn1', Options: { 'com.docker.network.bridge.name': 'wshp4' } });
    assert.equal(r.status, 201, r.body);
    ok(['network', 'create', '-o', 'com.docker.network.bridge.name=wshp5', 'ipn2']);
    try {
      assert.equal(json((await api(d.sock, 'GET', '/networks/ipn1')).body).IPAM.Options, null);
      assert.deepEqual(json((await api(d.sock, 'GET', '/networks/ipn2')).body).IPAM.Options, {});
      assert.equal(json((await api(d.sock, 'GET', '/networks/bridge')).body).IPAM.Options, null);
      const bad = await post('/networks/create', { Name: 'ipn3', IPAM: { Options: { foo: 'bar' } } });
      assert.equal(bad.status, 400);
    } finally {
      d.docker(['network', 'rm', 'ipn1', 'ipn2']);
    }
  });

  test('--mac-address: the interface has it and inspect shows it (CLI at API 1.50, API 1.41 Config.MacAddress)', async () => {
    ok(['run', '-d', '--name', 'mac1', '--mac-address', '02:42:0a:d7:00:99', 'busybox', 'sleep', '1000']);
    assert.match(ok(['exec', 'mac1', 'cat', '/sys/class/net/eth0/address']), /^02:42:0a:d7:00:99$/m);
    assert.equal((await inspect('mac1')).NetworkSettings.Networks.bridge.MacAddress, '02:42:0a:d7:00:99');
    const c = await post('/v1.41/containers/create?name=mac2', { Image: 'busybox', Cmd: ['sleep', '1000'], MacAddress: '02:42:0a:d7:00:9a' });
    assert.equal(c.status, 201, c.body);
    ok(['start', 'mac2']);
    assert.match(ok(['exec', 'mac2', 'cat', '/sys/class/net/eth0/address']), /^02:42:0a:d7:00:9a$/m);
    const m2 = await inspect('mac2');
    assert.equal(m2.Config.MacAddress, '02:42:0a:d7:00:9a');
    assert.equal(m2.NetworkSettings.MacAddress, '02:42:0a:d7:00:9a');
    const bad = await post('/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], MacAddress: 'zz' });
    assert.equal(bad.status, 400);
    assert.equal(json(bad.body).message, 'invalid MAC address: zz');
    assert.match(fails(['create', '--network', 'host', '--mac-address', '02:42:0a:d7:00:9b', 'busybox', 'true']), /conflicting options: mac-address and the network mode/);
    rmf('mac1', 'mac2');
  });

  test('endpoint Links, DriverOpts, LinkLocalIPs and MacAddress, at create and at connect: applied and shown', async () => {
    ok(['network', 'create', '-o', 'com.docker.network.bridge.name=wshp3', '--subnet', '10.214.3.0/24', 'epnet']);
    try {
      ok(['run', '-d', '--name', 'eptarget', '--network', 'epnet', 'busybox', 'sleep', '1000']);
      const c = await post('/containers/create?name=ep1', {
        Image: 'busybox',
        Cmd: ['sleep', '1000'],
        HostConfig: { NetworkMode: 'epnet' },
        NetworkingConfig: { EndpointsConfig: { epnet: { Links: ['eptarget:foo'], DriverOpts: { a: 'b' }, MacAddress: '02:42:0a:d6:03:77', IPAMConfig: { LinkLocalIPs: ['169.254.9.9'] } } } },
      });
      assert.equal(c.status, 201, c.body);
      ok(['start', 'ep1']);
      const n = (await inspect('ep1')).NetworkSettings.Networks.epnet;
      assert.deepEqual(n.Links, ['eptarget:foo']);
      assert.deepEqual(n.DriverOpts, { a: 'b' });
      assert.deepEqual(n.IPAMConfig, { LinkLocalIPs: ['169.254.9.9'] });
      assert.equal(n.MacAddress, '02:42:0a:d6:03:77');
      const addr = ok(['exec', 'ep1', 'ip', 'addr', 'show', 'eth0']);
      assert.match(addr, /link\/ether 02:42:0a:d6:03:77/);
      assert.match(addr, /inet 169\.254\.9\.9\/16/);
      // The link's alias resolves for this container only, to the target's address on the network.
      const target = (await inspect('eptarget')).NetworkSettings.Networks.epnet.IPAddress;
      assert.match(ok(['exec', 'ep1', 'nslookup', 'foo']), new RegExp(`Address: ${target.replace(/\./g, '\\.')}`));
      assert.notEqual(d.docker(['exec', 'eptarget', 'nslookup', 'foo']).code, 0);
      // docker network connect with the same settings, to a running container.
      ok(['run', '-d', '--name', 'ep2', 'busybox', 'sleep', '1000']);
      ok(['network', 'connect', '--link', 'eptarget:bar', '--driver-opt', 'x=y', '--link-local-ip', '169.254.9.10', 'epnet', 'ep2']);
      const n2 = (await inspect('ep2')).NetworkSettings.Networks.epnet;
      assert.deepEqual([n2.Links, n2.DriverOpts, n2.IPAMConfig], [['eptarget:bar'], { x: 'y' }, { LinkLocalIPs: ['169.254.9.10'] }]);
      assert.match(ok(['exec', 'ep2', 'ip', 'addr', 'show', 'eth1']), /inet 169\.254\.9\.10\/16/);
      // ep2's resolver is the default bridge's: ask the network's embedded DNS itself.
      assert.match(ok(['exec', 'ep2', 'nslookup', 'bar', '10.214.3.1']), new RegExp(`Address: ${target.replace(/\./g, '\\.')}`));
      const bad = await post('/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'epnet' }, NetworkingConfig: { EndpointsConfig: { epnet: { IPAMConfig: { LinkLocalIPs: ['zz'] } } } } });
      assert.equal(json(bad.body).message, 'Invalid link-local IP address: [zz]');
    } finally {
      rmf('ep1', 'ep2', 'eptarget');
      d.docker(['network', 'rm', 'epnet']);
    }
  });
});

describe('inspect reports the masked and read-only paths and the IPC mode applied', () => {
  test("Docker's lists by default, none with --privileged, a given list applied; IpcMode private", async () => {
    ok(['create', '--name', 'mp1', 'busybox', 'true']);
    ok(['create', '--name', 'mp2', '--privileged', 'busybox', 'true']);
    const h = (await inspect('mp1')).HostConfig;
    assert.deepEqual(h.ReadonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    assert.ok(h.MaskedPaths.includes('/proc/kcore') && h.MaskedPaths.includes('/sys/firmware'), h.MaskedPaths);
    assert.equal(h.IpcMode, 'private');
    const p = (await inspect('mp2')).HostConfig;
    assert.deepEqual([p.MaskedPaths, p.ReadonlyPaths, p.IpcMode], [null, null, 'private']);
    // An older client's create (API 1.31) gets the same default.
    const old = await post('/v1.31/containers/create?name=mp3', { Image: 'busybox', Cmd: ['true'] });
    assert.equal(old.status, 201, old.body);
    assert.equal((await inspect('mp3', 'v1.31')).HostConfig.IpcMode, 'private');
    const own = await post('/containers/create?name=mp4', { Image: 'busybox', Cmd: ['cat', '/proc/version', '/proc/kcore'], HostConfig: { MaskedPaths: ['/proc/version'] } });
    assert.equal(own.status, 201, own.body);
    assert.deepEqual((await inspect('mp4')).HostConfig.MaskedPaths, ['/proc/version']);
    const r = d.docker(['start', '-a', 'mp4']);
    assert.equal(r.stdout, ''); // /proc/version masked (empty); /proc/kcore not masked now: unreadable, not empty
    rmf('mp1', 'mp2', 'mp3', 'mp4');
  });

  test('--ipc host shares the host IPC namespace; an unknown mode is refused', () => {
    assert.equal(ok(['run', '--rm', '--ipc', 'host', 'busybox', 'readlink', '/proc/1/ns/ipc']).trim(), readlinkSync('/proc/self/ns/ipc'));
    assert.notEqual(ok(['run', '--rm', 'busybox', 'readlink', '/proc/self/ns/ipc']).trim(), readlinkSync('/proc/self/ns/ipc'));
    const bad = d.docker(['create', '--ipc', 'bogus', 'busybox', 'true']);
    assert.match(bad.stderr, /Invalid IPC mode: bogus|invalid IPC mode/);
  });
});

describe('legacy links', () => {
  test('HostConfig.Links as /child:/parent/alias, link names in ps, removed by rm --link', async () => {
    ok(['run', '-d', '--name', 'lkA', 'busybox', 'sleep', '1000']);
    ok(['run', '-d', '--name', 'lkB', '--link', 'lkA', 'busybox', 'sleep', '1000']);
    ok(['run', '-d', '--name', 'lkC', '--link', 'lkA:al', 'busybox', 'sleep', '1000']);
    try {
      assert.deepEqual((await inspect('lkB')).HostConfig.Links, ['/lkA:/lkB/lkA']);
      assert.deepEqual((await inspect('lkC')).HostConfig.Links, ['/lkA:/lkC/al']);
      // docker ps shows the link names with --no-trunc (and hides them without, as with Docker).
      const names = () => ok(['ps', '--no-trunc', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort().join(' ');
      assert.equal(names(), 'lkA,lkB/lkA,lkC/al lkB lkC');
      assert.equal(ok(['ps', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort().join(' '), 'lkA lkB lkC');
      const summary = json((await api(d.sock, 'GET', '/containers/json')).body).find((c: { Names: string[] }) => c.Names[0] === '/lkA');
      assert.deepEqual(summary.Names, ['/lkA', '/lkB/lkA', '/lkC/al']);
      assert.equal(ok(['rm', '--link', 'lkB/lkA']).trim(), 'lkB/lkA');
      assert.equal(ok(['rm', '--link', '/lkC/al']).trim(), '/lkC/al');
      assert.equal((await inspect('lkB')).HostConfig.Links, null);
      assert.equal(names(), 'lkA lkB lkC');
      assert.equal(ok(['inspect', '-f', '{{.State.Running}}', 'lkA']).trim(), 'true');
      const gone = await api(d.sock, 'DELETE', '/containers/lkB/lkA?link=1');
      assert.deepEqual([gone.status, json(gone.body).message], [404, 'No such container: lkB/lkA']);
      const own = await api(d.sock, 'DELETE', '/containers/lkA?link=1');
      assert.deepEqual([own.status, json(own.body).message], [500, 'Conflict, cannot remove the default link name of the container']);
    } finally {
      rmf('lkA', 'lkB', 'lkC');
    }
  });
});

describe('hostname, domain name and sysctls of the container', () => {
  test('--domainname is the kernel domain name; Docker default sysctls with an own network namespace', () => {
    const out = ok(['run', '--rm', '--hostname', 'hh', '--domainname', 'example.org', 'busybox', 'sh', '-c', 'cat /proc/sys/kernel/domainname /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range; grep hh /etc/hosts']);
    assert.match(out, /^example\.org\n0\n0\t2147483647\n10\.214\.2\.\d+\thh\.example\.org hh\n$/);
    assert.equal(ok(['run', '--rm', 'busybox', 'cat', '/proc/sys/kernel/domainname']).trim(), '(none)');
    // The host's values stay the host's with --network host.
    const host = readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim();
    assert.equal(ok(['run', '--rm', '--network', 'host', 'busybox', 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start']).trim(), host);
    // A user's --sysctl is applied over the defaults.
    assert.equal(ok(['run', '--rm', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=80', 'busybox', 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start']).trim(), '80');
    // A user that is not root binds a low port, as with Docker.
    const r = d.docker(['run', '--rm', '-u', '1000', 'busybox', 'sh', '-c', 'nc -l -p 80 & sleep 0.3; kill $! && echo bound']);
    assert.equal(r.stdout, 'bound\n', r.stderr);
  });

  test('on a user-defined network the container resolves its own hostname (run --network, and connect)', () => {
    ok(['network', 'create', '-o', 'com.docker.network.bridge.name=wshp6', '--subnet', '10.214.6.0/24', 'hnet']);
    try {
      const r = d.docker(['run', '--rm', '--network', 'hnet', 'busybox', 'sh', '-c', 'ping -c1 -W2 $(hostname)']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      ok(['create', '--name', 'hc', 'busybox', 'sh', '-c', 'ping -c1 -W2 $(hostname) && grep $(hostname) /etc/hosts']);
      ok(['network', 'connect', 'hnet', 'hc']);
      const s = d.docker(['start', '-a', 'hc']);
      assert.equal(s.code, 0, s.stdout + s.stderr);
    } finally {
      rmf('hc');
      d.docker(['network', 'rm', 'hnet']);
    }
  });
});

describe('swarm, plugins and session endpoints of a daemon in no swarm', () => {
  const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
  test("dockerd's answers", async () => {
    const cases: [string, string, number, string | unknown[]][] = [
      ['GET', '/swarm', 503, NOT_MANAGER],
      ['POST', '/swarm/leave', 503, 'This node is not part of a swarm'],
      ['POST', '/swarm/leave?force=1', 503, 'This node is not part of a swarm'],
      ['POST', '/swarm/update', 400, `invalid swarm version '': strconv.ParseUint: parsing "": invalid syntax`],
      ['POST', '/swarm/update?version=1', 503, NOT_MANAGER],
      ['GET', '/swarm/unlockkey', 503, NOT_MANAGER],
      ['POST', '/swarm/unlock', 503, NOT_MANAGER],
      ['GET', '/nodes', 503, NOT_MANAGER],
      ['GET', '/nodes/x', 503, NOT_MANAGER],
      ['POST', '/nodes/x/update', 400, `invalid node version '': strconv.ParseUint: parsing "": invalid syntax`],
      ['GET', '/services', 503, NOT_MANAGER],
      ['POST', '/services/create', 503, NOT_MANAGER],
      ['DELETE', '/services/x', 503, NOT_MANAGER],
      ['GET', '/tasks', 503, NOT_MANAGER],
      ['GET', '/secrets', 503, NOT_MANAGER],
      ['POST', '/secrets/x/update', 400, 'invalid secret version'],
      ['GET', '/configs', 503, NOT_MANAGER],
      ['POST', '/configs/create', 503, NOT_MANAGER],
      ['POST', '/configs/x/update', 400, 'invalid config version'],
      ['GET', '/plugins', 200, []],
      ['GET', '/plugins/x/json', 404, 'plugin "x" not found'],
      ['POST', '/session', 400, 'no upgrade proto in request'],
    ];
    for (const [method, path, status, want] of cases) {
      const r = await api(d.sock, method, `/v1.41${path}`, method === 'POST' ? '{}' : undefined, { 'Content-Type': 'application/json' });
      assert.equal(r.status, status, `${method} ${path}: ${r.body}`);
      assert.deepEqual(typeof want === 'string' ? json(r.body).message : json(r.body), want, `${method} ${path}`);
    }
    const h2c = await api(d.sock, 'POST', '/session', undefined, { Connection: 'Upgrade', Upgrade: 'h2c' });
    assert.equal(h2c.status, 501);
    assert.match(fails(['swarm', 'leave']), /This node is not part of a swarm/);
    assert.match(fails(['service', 'ls']), /This node is not a swarm manager/);
    assert.equal(ok(['plugin', 'ls', '-q']), '');
  });
});

describe('fields of older API versions', () => {
  test('VirtualSize (= Size) in image list, inspect and df below API 1.44, as dockerd sends it (cri-dockerd reads it); absent from 1.44', async () => {
    for (const [v, has] of [['v1.42', true], ['v1.43', true], ['v1.44', false], ['v1.50', false]] as const) {
      const list = json((await api(d.sock, 'GET', `/${v}/images/json`)).body) as { Size: number; VirtualSize?: number }[];
      assert.ok(list.length > 0);
      for (const i of list) assert.equal(i.VirtualSize, has ? i.Size : undefined, `${v} list`);
      const img = json((await api(d.sock, 'GET', `/${v}/images/busybox/json`)).body);
      assert.ok(img.Size > 0);
      assert.equal(img.VirtualSize, has ? img.Size : undefined, `${v} inspect`);
      const df = json((await api(d.sock, 'GET', `/${v}/system/df`)).body) as { Images: { Size: number; VirtualSize?: number }[] };
      for (const i of df.Images) assert.equal(i.VirtualSize, has ? i.Size : undefined, `${v} df`);
    }
  });
});

describe('network names', () => {
  test('any non-empty name is taken as dockerd takes it ("test 01", "a/b"): create, ls, inspect, run on it, rm; an empty one is refused', async () => {
    ok(['network', 'create', '-o', 'com.docker.network.bridge.name=wshp7', '--subnet', '10.214.7.0/24', 'test 01']);
    ok(['network', 'create', '-o', 'com.docker.network.bridge.name=wshp8', '--subnet', '10.214.8.0/24', 'a/b']);
    try {
      const names = ok(['network', 'ls', '--format', '{{.Name}}']).split('\n');
      assert.ok(names.includes('test 01') && names.includes('a/b'), names.join(','));
      assert.equal(ok(['network', 'inspect', '-f', '{{.Name}} {{range .IPAM.Config}}{{.Subnet}}{{end}}', 'a/b']).trim(), 'a/b 10.214.8.0/24');
      assert.equal(ok(['run', '--rm', '--network', 'test 01', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0 | grep -o "10.214.7.[0-9]*"']).trim().startsWith('10.214.7.'), true);
      const r = await post('/networks/create', { Name: '' });
      assert.equal(r.status, 400);
      assert.deepEqual(json(r.body), { message: 'invalid name: ' });
    } finally {
      d.docker(['network', 'rm', 'test 01', 'a/b']);
    }
    assert.equal(d.docker(['network', 'inspect', 'a/b']).code, 1);
  });
});
