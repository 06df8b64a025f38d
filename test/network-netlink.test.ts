import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { TestDaemon } from './helpers/wharfd';

// A container's veth pair is set up by rtnetlink from the daemon (src/native/netlink.c) when
// the addon is built, else by ip(8) and nsenter(1). Both ways must give the container the same
// network: its address and prefix, its MAC and MTU, lo up, the default route via the gateway,
// the host end on the bridge; and the gateway answers. Traffic goes only to this test's bridges.
const tag = (process.pid % 10000).toString(36);
const octet = 100 + (process.pid % 100);
const ways = [
  { name: 'rtnetlink', env: {}, bridge: `wn${tag}a`, subnet: `10.${octet}.91` },
  { name: 'ip(8)', env: { WHARF_NO_NATIVE_NETLINK: '1' }, bridge: `wn${tag}b`, subnet: `10.${octet}.92` },
].map((w) => ({ ...w, d: new TestDaemon() }));

before(async () => {
  for (const w of ways) {
    await w.d.start(['-b', w.bridge, '--bip', `${w.subnet}.1/24`, '--mtu', '1400'], w.env);
    w.d.importBusybox();
  }
});
after(async () => {
  for (const w of ways) await w.d.cleanup();
});

for (const w of ways) {
  test(`by ${w.name}: the container's address, MAC, MTU, routes and lo, the host end on the bridge`, () => {
    const id = w.d.dockerOk(['run', '-d', 'busybox', 'sleep', '60']).trim();
    try {
      const [ip, mac, prefix] = w.d.dockerOk(['inspect', '-f', '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.MacAddress}} {{.NetworkSettings.IPPrefixLen}}', id]).trim().split(' ');
      assert.match(ip, new RegExp(`^${w.subnet.replace(/\./g, '\\.')}\\.\\d+$`));
      const out = w.d.dockerOk(['exec', id, 'sh', '-c', 'ip addr show eth0; ip link show lo; ip route; ping -c 1 -W 2 $(ip route | sed -n "s/^default via \\([0-9.]*\\).*/\\1/p") >/dev/null && echo gateway-answers']);
      assert.match(out, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/${prefix} `));
      assert.match(out, new RegExp(`link/ether ${mac} `));
      assert.match(out, /eth0@if\d+: <[^>]*\bUP\b[^>]*> mtu 1400/);
      assert.match(out, /lo: <LOOPBACK,UP,LOWER_UP>/);
      assert.match(out, new RegExp(`^default via ${w.subnet.replace(/\./g, '\\.')}\\.1 dev eth0`, 'm'));
      assert.match(out, /^gateway-answers$/m);
      // The host's end: one veth more on the bridge, up.
      const ports = readdirSync(`/sys/class/net/${w.bridge}/brif`);
      assert.equal(ports.length, 1, ports.join(' '));
      assert.equal(readFileSync(`/sys/class/net/${ports[0]}/operstate`, 'utf8').trim(), 'up');
    } finally {
      w.d.docker(['rm', '-f', id]);
    }
  });
}
