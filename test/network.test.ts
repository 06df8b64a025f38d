import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { eventually, TestDaemon } from './helpers/wharfd';

// The default bridge network with the real docker CLI: an address per container, /etc
// files, reachability, published ports (from loopback, the host's address, and another
// network namespace acting as a remote host), across a kill -9 of the daemon.
// Traffic goes only to loopback, to this test's bridge and to this test's namespace.
const tag = (process.pid % 10000).toString(36) + Math.floor(Math.random() * 36 ** 2).toString(36);
const bridge = `wt${tag}`;
const octet = 100 + (process.pid % 150);
const subnet = `10.${octet}.77`;
const gateway = `${subnet}.1`;
const netns = `wtn${tag}`;
const hostEnd = `vh${tag}`;
const remoteNet = `10.${octet}.78`;
const port = 20000 + (process.pid % 20000);
const d = new TestDaemon();

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000 });
before(async () => {
  await d.start(['-b', bridge, '--bip', `${gateway}/24`]);
  d.importBusybox();
  // A "remote host": a namespace on a veth of its own, reaching this host at remoteNet.1.
  sh('ip', ['netns', 'add', netns]);
  sh('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  sh('ip', ['addr', 'add', `${remoteNet}.1/24`, 'dev', hostEnd]);
  sh('ip', ['link', 'set', hostEnd, 'up']);
  sh('ip', ['-n', netns, 'addr', 'add', `${remoteNet}.2/24`, 'dev', 'eth0']);
  sh('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
  sh('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
});
after(async () => {
  sh('ip', ['link', 'del', hostEnd]);
  sh('ip', ['netns', 'del', netns]);
  await d.cleanup();
});

const ok = (args: string[]) => {
  const r = d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
/** An HTTP GET with curl, from this host or from inside the remote namespace. */
const get = (url: string, fromNs = false) => {
  const args = ['-s', '-m', '3', url];
  const r = fromNs ? sh('ip', ['netns', 'exec', netns, 'curl', ...args]) : sh('curl', args);
  return r.status === 0 ? r.stdout : `curl failed (${r.status})`;
};
const ipOf = (name: string) => ok(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', name]).trim();

describe('the default bridge', () => {
  test('a container gets an address, a route, /etc/hosts, /etc/hostname and /etc/resolv.conf', () => {
    const out = ok(['run', '--rm', '-h', 'boxy', '--add-host', 'db.local:10.9.9.9', '--dns', '10.1.1.1', '--dns-search', 'example.test', 'busybox', 'sh', '-c',
      'ip -4 addr show eth0 | grep inet; ip route | grep default; cat /etc/hostname; cat /etc/hosts; cat /etc/resolv.conf']);
    assert.match(out, new RegExp(`inet ${subnet.replace(/\./g, '\\.')}\\.\\d+/24`));
    assert.match(out, new RegExp(`default via ${gateway.replace(/\./g, '\\.')} dev eth0`));
    assert.match(out, /^boxy$/m);
    assert.match(out, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(out, /^10\.9\.9\.9\tdb\.local$/m);
    assert.match(out, new RegExp(`^${subnet.replace(/\./g, '\\.')}\\.\\d+\\tboxy$`, 'm'));
    assert.match(out, /^nameserver 10\.1\.1\.1$/m);
    assert.match(out, /^search example\.test$/m);
  });

  test('containers reach each other; inspect shows the address; network connect/disconnect events', () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    ok(['run', '-d', '--name', 'peer', 'busybox', 'sleep', '1000']);
    const ip = ipOf('peer');
    assert.match(ip, new RegExp(`^${subnet.replace(/\./g, '\\.')}\\.\\d+$`));
    const insp = JSON.parse(ok(['inspect', 'peer']))[0];
    assert.equal(insp.NetworkSettings.Gateway, gateway);
    assert.equal(insp.NetworkSettings.Networks.bridge.IPAddress, ip);
    assert.match(insp.NetworkSettings.MacAddress, /^02:42:/);
    const ping = d.docker(['run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '2', ip]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    ok(['rm', '-f', 'peer']);
    const ev = ok(['events', '--since', since, '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'type=network', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}']);
    assert.match(ev, /^connect bridge bridge$/m);
    assert.match(ev, /^disconnect bridge bridge$/m);
  });

  test('--network none, host and container:<name>', () => {
    assert.doesNotMatch(ok(['run', '--rm', '--network', 'none', 'busybox', 'ip', 'link']), /eth0/);
    assert.equal(ok(['run', '--rm', '--network', 'host', 'busybox', 'hostname']).trim(), os.hostname());
    ok(['run', '-d', '--name', 'owner', 'busybox', 'sleep', '1000']);
    const shared = ok(['run', '--rm', '--network', 'container:owner', 'busybox', 'ip', '-4', 'addr', 'show', 'eth0']);
    assert.match(shared, new RegExp(`inet ${ipOf('owner').replace(/\./g, '\\.')}/`));
    ok(['rm', '-f', 'owner']);
  });
});

describe('published ports', () => {
  test('-p answers from 127.0.0.1, the host\'s address and a remote namespace; docker port and ps show it', () => {
    ok(['run', '-d', '--name', 'web', '-p', `${port}:80`, '-p', '127.0.0.1::80', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    const id = ok(['inspect', '-f', '{{.Id}}', 'web']).trim();
    const ports = ok(['port', 'web']);
    assert.match(ports, new RegExp(`^80/tcp -> 0\\.0\\.0\\.0:${port}$`, 'm'));
    const random = Number(/^80\/tcp -> 127\.0\.0\.1:(\d+)$/m.exec(ports)?.[1]);
    assert.ok(random > 1024, ports);
    assert.match(ok(['ps', '--filter', 'name=web', '--format', '{{.Ports}}']), new RegExp(`0\\.0\\.0\\.0:${port}->80/tcp`));
    const hostname = id.slice(0, 12) + '\n';
    assert.equal(get(`http://127.0.0.1:${port}/hostname`), hostname);
    assert.equal(get(`http://127.0.0.1:${random}/hostname`), hostname);
    assert.equal(get(`http://${remoteNet}.1:${port}/hostname`), hostname, 'from this host to its own address');
    assert.equal(get(`http://${remoteNet}.1:${port}/hostname`, true), hostname, 'from the remote namespace');
    assert.match(get(`http://${remoteNet}.1:${random}/hostname`, true), /curl failed/, '127.0.0.1 bindings are not reachable from outside');
  });

  test('ports keep answering while the daemon is down and after it restarts; rm removes them', async () => {
    await d.kill9();
    assert.equal(get(`http://127.0.0.1:${port}/hostname`).length, 13);
    await d.start(['-b', bridge, '--bip', `${gateway}/24`]);
    assert.equal(get(`http://${remoteNet}.1:${port}/hostname`, true).length, 13);
    const rules = sh('nft', ['list', 'table', 'ip', `wharf_${bridge}`]).stdout;
    assert.equal(rules.split(`dport ${port} `).length - 1, 1, `one rule, no duplicate:\n${rules}`);
    ok(['rm', '-f', 'web']);
    assert.match(get(`http://127.0.0.1:${port}/hostname`), /curl failed/);
    assert.doesNotMatch(sh('nft', ['list', 'table', 'ip', `wharf_${bridge}`]).stdout, /dnat to/);
  });

  test('a host port in use by a container or a host process is refused, leaving nothing half-made', async () => {
    ok(['run', '-d', '--name', 'first', '-p', `${port + 1}:80`, 'busybox', 'httpd', '-f', '-p', '80']);
    const second = d.docker(['run', '-d', '--name', 'second', '-p', `${port + 1}:80`, 'busybox', 'httpd', '-f', '-p', '80']);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port + 1} failed: port is already allocated`));
    assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.NetworkSettings.IPAddress}}', 'second']).trim(), 'created');
    const server = net.createServer().listen(port + 2, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const third = d.docker(['run', '-d', '--name', 'third', '-p', `127.0.0.1:${port + 2}:80`, 'busybox', 'true']);
      assert.notEqual(third.code, 0);
      assert.match(third.stderr, /port is already allocated/);
    } finally {
      server.close();
    }
    ok(['rm', '-f', 'first', 'second', 'third']);
    await eventually(() => !/dnat to/.test(sh('nft', ['list', 'table', 'ip', `wharf_${bridge}`]).stdout), 5000, 'no rules left');
  });
});

describe('the bridge network in docker network', () => {
  test('ls and inspect show the default bridge with its subnet, options and containers', () => {
    const ls = ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
    assert.match(ls, /^bridge bridge local$/m);
    assert.match(ls, /^host host local$/m);
    assert.match(ls, /^none null local$/m);
    ok(['run', '-d', '--name', 'member', 'busybox', 'sleep', '1000']);
    try {
      const n = JSON.parse(ok(['network', 'inspect', 'bridge']))[0];
      assert.equal(n.Driver, 'bridge');
      assert.deepEqual(n.IPAM.Config, [{ Subnet: `${subnet}.0/24`, Gateway: gateway }]);
      assert.equal(n.Options['com.docker.network.bridge.name'], bridge);
      const id = ok(['inspect', '-f', '{{.Id}}', 'member']).trim();
      assert.equal(n.Containers[id].Name, 'member');
      assert.equal(n.Containers[id].IPv4Address, `${ipOf('member')}/24`);
      assert.match(d.docker(['network', 'rm', 'bridge']).stderr, /bridge is a pre-defined network and cannot be removed/);
    } finally {
      ok(['rm', '-f', 'member']);
    }
  });
});

describe('--link', () => {
  test('the link\'s environment (seed-features §4.4) and an /etc/hosts entry', () => {
    ok(['run', '-d', '--name', 'db', '-e', 'SECRET=s3', '--expose', '6379', '--expose', '5000/udp', 'busybox', 'sleep', '1000']);
    try {
      const ip = ipOf('db');
      const hostname = ok(['inspect', '-f', '{{.Config.Hostname}}', 'db']).trim();
      // env itself, not through sh: a shell drops variables whose names have a "-".
      const out = ok(['run', '--rm', '--name', 'webapp', '--link', 'db:my-db', 'busybox', 'env']);
      const env = out.split('\n');
      for (const line of [
        'MY-DB_NAME=/webapp/my-db',
        `MY-DB_PORT=udp://${ip}:5000`,
        `MY-DB_PORT_6379_TCP=tcp://${ip}:6379`,
        'MY-DB_PORT_6379_TCP_PROTO=tcp',
        `MY-DB_PORT_6379_TCP_ADDR=${ip}`,
        'MY-DB_PORT_6379_TCP_PORT=6379',
        `MY-DB_PORT_5000_UDP=udp://${ip}:5000`,
        'MY-DB_ENV_SECRET=s3',
      ]) assert.ok(env.includes(line), `${line} in:\n${out}`);
      assert.ok(!env.some((l) => l.startsWith('MY-DB_ENV_PATH=')), 'PATH is not passed on');
      const hosts = ok(['run', '--rm', '--link', '/db:my-db', 'busybox', 'cat', '/etc/hosts']);
      assert.match(hosts, new RegExp(`^${ip.replace(/\./g, '\\.')}\\tmy-db ${hostname} db$`, 'm'));
      const stopped = d.docker(['run', '--rm', '--link', 'nosuch:x', 'busybox', 'true']);
      assert.notEqual(stopped.code, 0);
      assert.match(stopped.stderr, /could not get container for nosuch/);
    } finally {
      ok(['rm', '-f', 'db']);
    }
  });
});

describe('--icc=false', () => {
  test('containers on the default bridge cannot reach each other; published ports still answer', async () => {
    const iccBridge = `wi${tag}`;
    const di = new TestDaemon();
    try {
      await di.start(['-b', iccBridge, '--bip', `10.${octet}.79.1/24`, '--icc=false']);
      di.importBusybox();
      const iok = (args: string[]) => di.dockerOk(args);
      iok(['run', '-d', '--name', 'lonely', '-p', `127.0.0.1:${port + 3}:80`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
      const ip = iok(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'lonely']).trim();
      const ping = di.docker(['run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '1', ip]);
      assert.notEqual(ping.code, 0, 'no traffic between containers');
      assert.equal(get(`http://127.0.0.1:${port + 3}/hostname`).length, 13);
    } finally {
      await di.cleanup();
    }
  });
});
