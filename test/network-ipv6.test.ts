import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { eventually, TestDaemon } from './helpers/wharfd';

// IPv6 and dual-stack user-defined networks with the real docker CLI, checked against what
// dockerd 20.10 answers (shapes and messages measured side by side). Traffic stays on the host's
// own addresses (loopback, its own fd00::2-like address) and on the bridges this test makes;
// bridges wfv6<n>, subnets fd00:77:<x>::/64 and 10.215.<x>.0/24, from this process's id.
const x = (process.pid % 200) + 20;
const v6 = (n: number) => `fd00:77:${(x * 4 + n).toString(16)}::`;
const v4 = (n: number) => `10.215.${(x + n * 50) % 250}`;
const br = (n: number) => `wfv6${x}x${n}`;
const port = 24000 + (process.pid % 15000);
const d = new TestDaemon();
const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000 });

const ok = (args: string[]) => d.dockerOk(args);
const fails = (args: string[]) => d.dockerFails(args);
/** One HTTP GET with curl (bounded): the body, or "" when nothing answers. */
const get = (url: string) => sh('curl', ['-s', '-g', '-m', '3', url]).stdout;
/** The host's own global IPv6 address (fd00::2 on this machine kind), if it has one. */
const hostV6 = /inet6 ([0-9a-f:]+)\/\d+ scope global/.exec(sh('ip', ['-6', 'addr', 'show', 'scope', 'global']).stdout)?.[1];

before(async () => {
  await d.start();
  d.importBusybox();
});
after(async () => {
  await d.cleanup();
});

describe('IPv6 networks', () => {
  before(() => {
    ok(['network', 'create', '--ipv6', '--subnet', `${v6(0)}/64`, '--gateway', `${v6(0)}fe`, '--subnet', `${v4(0)}.0/24`, '--gateway', `${v4(0)}.254`, '-o', `com.docker.network.bridge.name=${br(0)}`, 'dual']);
    ok(['network', 'create', '--ipv6', '--subnet', `${v6(1)}/64`, '-o', `com.docker.network.bridge.name=${br(1)}`, 'v6only']);
    // A v6 subnet without --ipv6: kept and listed, IPv6 off (dockerd 20.10 does the same).
    ok(['network', 'create', '--subnet', `${v6(2)}/64`, '--subnet', `${v4(2)}.0/24`, '-o', `com.docker.network.bridge.name=${br(2)}`, 'nov6']);
  });
  after(() => {
    d.docker(['network', 'rm', 'dual', 'v6only', 'nov6']);
  });

  test('create: dual-stack and v6-only (a v4 subnet from the pool) in Docker\'s shapes; its refusals in Docker\'s words', () => {
    const [dual, only, nov6] = JSON.parse(ok(['network', 'inspect', 'dual', 'v6only', 'nov6']));
    assert.equal(dual.EnableIPv6, true);
    assert.deepEqual(dual.IPAM.Config, [{ Subnet: `${v4(0)}.0/24`, Gateway: `${v4(0)}.254` }, { Subnet: `${v6(0)}/64`, Gateway: `${v6(0)}fe` }]);
    assert.equal(only.EnableIPv6, true);
    assert.equal(only.IPAM.Config.length, 2);
    assert.match(only.IPAM.Config[0].Subnet, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
    assert.deepEqual(only.IPAM.Config[1], { Subnet: `${v6(1)}/64` });
    assert.equal(nov6.EnableIPv6, false);
    assert.deepEqual(nov6.IPAM.Config[1], { Subnet: `${v6(2)}/64` });
    assert.match(ok(['network', 'ls', '--format', '{{.Name}} {{.IPv6}}']), /^dual true\nhost false\nnone false\nnov6 false\nv6only true$/m);
    // The bridge has the v6 gateway (and fe80::1, as Docker's); one without IPv6 has no v6 address.
    const addrs = sh('ip', ['-6', 'addr', 'show', br(0)]).stdout;
    assert.match(addrs, new RegExp(`inet6 ${v6(0)}fe/64 scope global`));
    assert.match(addrs, /inet6 fe80::1\/64/);
    assert.doesNotMatch(sh('ip', ['-6', 'addr', 'show', br(2)]).stdout, /scope global/);

    assert.match(fails(['network', 'create', '--ipv6', 'nosub']), /could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network/);
    assert.match(fails(['network', 'create', '--ipv6', '--subnet', `${v6(0)}/80`, 'overlap']), /Pool overlaps with other one on this address space/);
    assert.match(fails(['network', 'create', '--ipv6', '--subnet', `${v6(3)}/64`, '--subnet', `${v6(4)}/64`, 'two']), /bridge driver doesn't support multiple subnets/);
    assert.match(fails(['network', 'create', '--ipv6', '--subnet', 'fd00:77:zz::/64', 'bad']), /Invalid subnet fd00:77:zz::\/64 : invalid CIDR address: fd00:77:zz::\/64/);
    assert.doesNotMatch(ok(['network', 'ls']), /nosub|overlap|two|bad/);
  });

  test('containers: an address, a default v6 route, inspect and /etc/hosts as Docker\'s; ping6 by name; AAAA and A from the embedded DNS', () => {
    ok(['run', '-d', '--name', 'v6a', '--network', 'dual', '--network-alias', 'alias6', 'busybox', 'sleep', '300']);
    ok(['run', '-d', '--name', 'v6b', '--network', 'dual', '--ip6', `${v6(0)}99`, 'busybox', 'sleep', '300']);
    ok(['run', '-d', '--name', 'v4c', '--network', 'nov6', 'busybox', 'sleep', '300']);
    try {
      const a = JSON.parse(ok(['inspect', 'v6a']))[0].NetworkSettings.Networks.dual;
      assert.equal(a.GlobalIPv6Address, `${v6(0)}1`);
      assert.equal(a.GlobalIPv6PrefixLen, 64);
      assert.equal(a.IPv6Gateway, `${v6(0)}fe`);
      assert.equal(a.IPAddress, `${v4(0)}.1`);
      const b = JSON.parse(ok(['inspect', 'v6b']))[0].NetworkSettings.Networks.dual;
      assert.equal(b.GlobalIPv6Address, `${v6(0)}99`);
      assert.deepEqual(b.IPAMConfig, { IPv6Address: `${v6(0)}99` });
      const members = JSON.parse(ok(['network', 'inspect', '-f', '{{json .Containers}}', 'dual']));
      assert.deepEqual(Object.values(members).map((m) => (m as { IPv6Address: string }).IPv6Address).sort(), [`${v6(0)}1/64`, `${v6(0)}99/64`]);
      const c = JSON.parse(ok(['inspect', 'v4c']))[0].NetworkSettings.Networks.nov6;
      assert.equal(c.GlobalIPv6Address, '');

      assert.match(ok(['exec', 'v6a', 'ip', '-6', 'addr', 'show', 'eth0']), new RegExp(`inet6 ${v6(0)}1/64 scope global`));
      assert.match(ok(['exec', 'v6a', 'ip', '-6', 'route']), new RegExp(`^default via ${v6(0)}fe dev eth0`, 'm'));
      assert.doesNotMatch(ok(['exec', 'v4c', 'ip', '-6', 'addr', 'show', 'eth0']), /scope global/);
      const id = ok(['inspect', '-f', '{{.Config.Hostname}}', 'v6a']).trim();
      assert.match(ok(['exec', 'v6a', 'cat', '/etc/hosts']), new RegExp(`\\n${v4(0)}\\.1\\t${id}\\n${v6(0)}1\\t${id}\\n$`));

      assert.match(ok(['exec', 'v6a', 'ping6', '-c', '1', '-W', '3', 'v6b']), /1 packets received/);
      assert.match(ok(['exec', 'v6b', 'ping6', '-c', '1', '-W', '3', 'alias6']), new RegExp(`from ${v6(0)}1:`));
      assert.match(ok(['exec', 'v6a', 'nslookup', '-type=AAAA', 'v6b']), new RegExp(`Address: ${v6(0)}99`));
      assert.match(ok(['exec', 'v6b', 'nslookup', '-type=AAAA', 'alias6']), new RegExp(`Address: ${v6(0)}1`));
      const aOnly = ok(['exec', 'v6a', 'nslookup', '-type=A', 'v6b']);
      assert.match(aOnly, new RegExp(`Address: ${v4(0).replace(/\./g, '\\.')}\\.2`));
      assert.doesNotMatch(aOnly, /fd00:/);
      // A name on a network without IPv6: NOERROR with no AAAA answer (Docker's), not NXDOMAIN.
      const none = ok(['exec', 'v4c', 'nslookup', '-type=AAAA', 'v4c']);
      assert.doesNotMatch(none, /NXDOMAIN|Address: fd00/);

      // --ip6 at connect, and Docker's refusals.
      ok(['network', 'connect', '--ip6', `${v6(1)}55`, 'v6only', 'v4c']);
      assert.match(ok(['exec', 'v4c', 'ip', '-6', 'addr', 'show', 'eth1']), new RegExp(`inet6 ${v6(1)}55/64`));
      assert.equal(ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "v6only").GlobalIPv6Address}}', 'v4c']).trim(), `${v6(1)}55`);
      assert.match(fails(['run', '--rm', '--network', 'dual', '--ip6', `${v6(0)}99`, 'busybox', 'true']), /Address already in use/);
      assert.match(fails(['run', '--rm', '--network', 'dual', '--ip6', `${v6(5)}1`, 'busybox', 'true']), new RegExp(`Invalid address ${v6(5)}1: It does not belong to any of this network's subnets`));
      assert.match(fails(['create', '--network', 'dual', '--ip6', 'zz', 'busybox', 'true']), /invalid IPv6 address: zz/);
    } finally {
      d.docker(['rm', '-f', 'v6a', 'v6b', 'v4c']);
    }
  });

  test('published ports answer on 127.0.0.1, [::1] and the host\'s own v6 address; gone with the container', async () => {
    ok(['run', '-d', '--name', 'web6', '--network', 'dual', '-p', `${port}:80`, '-p', `[::1]:${port + 1}:81`, 'busybox', 'sh', '-c',
      'mkdir /w && echo hello6 > /w/index.html && (httpd -p 81 -h /w &) && exec httpd -f -p 80 -h /w']);
    try {
      assert.deepEqual(JSON.parse(ok(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'web6'])), {
        '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(port) }, { HostIp: '::', HostPort: String(port) }],
        '81/tcp': [{ HostIp: '::1', HostPort: String(port + 1) }],
      });
      assert.equal(ok(['port', 'web6', '80']), `0.0.0.0:${port}\n[::]:${port}\n`);
      await eventually(() => get(`http://127.0.0.1:${port}/`) === 'hello6\n', 10_000, 'httpd up');
      assert.equal(get(`http://[::1]:${port}/`), 'hello6\n');
      assert.equal(get(`http://[::1]:${port + 1}/`), 'hello6\n');
      assert.equal(get(`http://127.0.0.1:${port + 1}/`), '', 'a [::1] binding is not on 127.0.0.1');
      if (hostV6) {
        assert.equal(get(`http://[${hostV6}]:${port}/`), 'hello6\n');
        assert.equal(get(`http://[${hostV6}]:${port + 1}/`), '', 'a [::1] binding is not on the host\'s other addresses');
      }
      assert.match(sh('nft', ['list', 'table', 'ip6', `wharf_${br(0)}`]).stdout, new RegExp(`tcp dport ${port} dnat to \\[${v6(0)}`));
    } finally {
      d.docker(['rm', '-f', 'web6']);
    }
    assert.equal(get(`http://[::1]:${port}/`), '');
    assert.doesNotMatch(sh('nft', ['list', 'table', 'ip6', `wharf_${br(0)}`]).stdout, /dnat to/);
  });

  test('network rm takes the bridge and both of its tables away', () => {
    ok(['network', 'create', '--ipv6', '--subnet', `${v6(6)}/64`, '--subnet', `${v4(6)}.0/24`, '-o', `com.docker.network.bridge.name=${br(6)}`, 'gone6']);
    assert.equal(sh('nft', ['list', 'table', 'ip6', `wharf_${br(6)}`]).status, 0);
    ok(['network', 'rm', 'gone6']);
    assert.notEqual(sh('nft', ['list', 'table', 'ip6', `wharf_${br(6)}`]).status, 0);
    assert.notEqual(sh('nft', ['list', 'table', 'ip', `wharf_${br(6)}`]).status, 0);
    assert.notEqual(sh('ip', ['link', 'show', br(6)]).status, 0);
  });
});
