import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, eventually, runSync, TestDaemon } from './helpers/wharfd';

// User-defined networks with the real docker CLI and docker-compose: create/ls/inspect/rm,
// several networks per container, isolation between networks, the embedded DNS, internal
// networks, bad input, and a kill -9 of the daemon. Traffic stays on loopback and on the
// bridges this test makes; each test's subnets come from this process's id.
const octet = 100 + ((process.pid + 37) % 150);
const sub = (n: number) => `10.${octet}.${80 + n}`;
const port = 21000 + (process.pid % 20000);
const d = new TestDaemon();
const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000 });

before(async () => {
  await d.start();
  d.importBusybox();
});
after(async () => {
  await d.cleanup();
});

const ok = (args: string[]) => d.dockerOk(args);
const fails = (args: string[]) => d.dockerFails(args);
const bridgeOf = (name: string) => `br-${ok(['network', 'inspect', '-f', '{{.Id}}', name]).trim().slice(0, 12)}`;
const linkExists = (name: string) => sh('ip', ['link', 'show', name]).status === 0;
const tableExists = (bridge: string) => sh('nft', ['list', 'table', 'ip', `wharf_${bridge.replace(/-/g, '_')}`]).status === 0;
const ipOn = (container: string, network: string) => ok(['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container]).trim();

describe('docker network', () => {
  test('ls shows the predefined networks with Docker\'s columns; inspect has Docker\'s shape', () => {
    const ls = ok(['network', 'ls']);
    assert.match(ls.split('\n')[0], /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    assert.match(ls, /^[0-9a-f]{12}\s+host\s+host\s+local$/m);
    assert.match(ls, /^[0-9a-f]{12}\s+none\s+null\s+local$/m);
    const host = JSON.parse(ok(['network', 'inspect', 'host']))[0];
    assert.equal(host.Name, 'host');
    assert.equal(host.Scope, 'local');
    assert.match(host.Id, /^[0-9a-f]{64}$/);
    const err = fails(['network', 'rm', 'none']);
    assert.match(err, /none is a pre-defined network and cannot be removed/);
  });

  test('create, ls with filters, inspect, rm: a bridge and a table of its own, gone with the network', () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const id = ok(['network', 'create', '--subnet', `${sub(1)}.0/24`, '--gateway', `${sub(1)}.254`, '--label', 'team=a', '--label', 'tier', 'front']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    ok(['network', 'create', '--internal', '--subnet', `${sub(2)}.0/24`, '-o', `com.docker.network.bridge.name=wbr${octet}`, 'back']);
    const insp = JSON.parse(ok(['network', 'inspect', 'front']))[0];
    assert.equal(insp.Id, id);
    assert.equal(insp.Driver, 'bridge');
    assert.equal(insp.Scope, 'local');
    assert.equal(insp.EnableIPv6, false);
    assert.deepEqual(insp.IPAM, { Driver: 'default', Options: {}, Config: [{ Subnet: `${sub(1)}.0/24`, Gateway: `${sub(1)}.254` }] });
    assert.equal(insp.Internal, false);
    assert.deepEqual(insp.Labels, { team: 'a', tier: '' });
    assert.deepEqual(insp.Containers, {});
    for (const k of ['Created', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Options']) assert.ok(k in insp, k);
    assert.equal(JSON.parse(ok(['network', 'inspect', 'back']))[0].Internal, true);
    const bridge = bridgeOf('front');
    assert.ok(linkExists(bridge), `${bridge} exists`);
    assert.match(sh('ip', ['-4', 'addr', 'show', bridge]).stdout, new RegExp(`inet ${sub(1).replace(/\./g, '\\.')}\\.254/24`));
    assert.ok(tableExists(bridge));
    assert.ok(linkExists(`wbr${octet}`), 'the bridge name option is used');

    assert.deepEqual(ok(['network', 'ls', '-q', '--filter', 'label=team=a']).trim().split('\n'), [id.slice(0, 12)]);
    assert.deepEqual(ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'type=custom']).trim().split('\n').sort(), ['back', 'front']);
    assert.doesNotMatch(ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'type=builtin']), /front/);
    assert.equal(ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'name=fro']).trim(), 'front');
    assert.equal(ok(['network', 'ls', '--format', '{{.Name}}', '--filter', `id=${id.slice(0, 10)}`]).trim(), 'front');
    assert.equal(ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'driver=null']).trim(), 'none');
    assert.deepEqual(ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'dangling=true']).trim().split('\n').sort(), ['back', 'front']);

    assert.equal(ok(['network', 'rm', 'front', 'back']).trim(), 'front\nback');
    assert.ok(!linkExists(bridge) && !tableExists(bridge), 'bridge and table removed');
    assert.ok(!linkExists(`wbr${octet}`));
    assert.match(fails(['network', 'inspect', 'front']), /network front not found/);
    const ev = ok(['events', '--since', since, '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'type=network', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}']);
    assert.match(ev, /^create front bridge\ncreate back bridge\ndestroy front bridge\ndestroy back bridge$/m);
  });

  test('--ip-range and --aux-address: addresses come from the range, never an aux one; a static --ip anywhere in the subnet; inspect shows both; bad ones refused as the CLI does', async () => {
    const net = `${sub(9)}`;
    ok(['network', 'create', '--subnet', `${net}.0/24`, '--ip-range', `${net}.128/25`, '--aux-address', `a=${net}.129`, 'ranged']);
    try {
      assert.equal(ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'ranged']).trim(), JSON.stringify([{ Subnet: `${net}.0/24`, IPRange: `${net}.128/25`, Gateway: `${net}.1`, AuxiliaryAddresses: { a: `${net}.129` } }]));
      // As dockerd 20.10 measured: the range's first address skipped, the aux one too: .130.
      assert.equal(ok(['run', '--rm', '--network', 'ranged', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0']).match(/inet (\S+)\//)?.[1], `${net}.130`);
      assert.equal(ok(['run', '--rm', '--network', 'ranged', '--ip', `${net}.5`, 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0']).match(/inet (\S+)\//)?.[1], `${net}.5`);
      const post = (body: unknown) => api(d.sock, 'POST', '/networks/create', JSON.stringify(body), { 'Content-Type': 'application/json' });
      for (const [cfg, msg] of [
        [{ Subnet: `${sub(10)}.0/24`, IPRange: `${sub(11)}.0/25` }, `no matching subnet for range ${sub(11)}.0/25`],
        [{ Subnet: `${sub(10)}.0/24`, AuxiliaryAddresses: { x: `${sub(11)}.1` } }, `no matching subnet for aux-address ${sub(11)}.1`],
        [{ Subnet: `${sub(10)}.0/24`, IPRange: 'bogus' }, 'invalid CIDR address: bogus'],
      ] as const) {
        const r = await post({ Name: 'badrange', IPAM: { Config: [cfg] } });
        assert.equal(r.status, 400, r.body);
        assert.equal(JSON.parse(r.body).message, msg);
      }
      assert.equal(d.docker(['network', 'inspect', 'badrange']).code, 1);
    } finally {
      d.docker(['network', 'rm', 'ranged']);
    }
  });

  test('a subnet is chosen from the pool when none is given, overlapping no other network', () => {
    ok(['network', 'create', 'auto1']);
    ok(['network', 'create', 'auto2']);
    const [a, b] = ['auto1', 'auto2'].map((n) => ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}', n]).trim());
    assert.match(a, /^\d+\.\d+\.0\.0\/\d+ \d+\.\d+\.0\.1$/);
    assert.notEqual(a.split(' ')[0], b.split(' ')[0]);
    const routes = sh('ip', ['-4', 'route']).stdout;
    assert.equal(routes.split('\n').filter((l) => l.startsWith(a.split(' ')[0])).length, 1, routes);
    assert.deepEqual(ok(['network', 'prune', '-f']).trim().split('\n').slice(1).sort(), ['auto1', 'auto2']);
    assert.doesNotMatch(ok(['network', 'ls']), /auto/);
  });
});

describe('containers on networks', () => {
  before(() => {
    ok(['network', 'create', '--subnet', `${sub(3)}.0/24`, 'red']);
    ok(['network', 'create', '--subnet', `${sub(4)}.0/24`, 'blue']);
  });
  after(() => {
    d.docker(['rm', '-f', 'web', 'other', 'pinned']);
    d.docker(['network', 'rm', 'red', 'blue']);
  });

  test('containers resolve each other by name and alias on their network; unknown names are NXDOMAIN', () => {
    ok(['run', '-d', '--name', 'web', '--network', 'red', '--network-alias', 'www', 'busybox', 'sh', '-c', 'mkdir /www && echo hello > /www/index.html && httpd -f -p 80 -h /www']);
    const ip = ipOn('web', 'red');
    assert.match(ip, new RegExp(`^${sub(3).replace(/\./g, '\\.')}\\.\\d+$`));
    const out = ok(['run', '--rm', '--network', 'red', 'busybox', 'sh', '-c',
      'cat /etc/resolv.conf; nslookup web; nslookup www; nslookup nosuchname; printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc www 80']);
    assert.match(out, new RegExp(`^nameserver ${sub(3).replace(/\./g, '\\.')}\\.1$`, 'm'));
    assert.match(out, new RegExp(`Name:\\s+web\\nAddress:\\s+${ip.replace(/\./g, '\\.')}`));
    assert.match(out, new RegExp(`Name:\\s+www\\nAddress:\\s+${ip.replace(/\./g, '\\.')}`));
    assert.match(out, /can't find nosuchname: NXDOMAIN/);
    assert.match(out, /^hello$/m);
    const insp = JSON.parse(ok(['network', 'inspect', 'red']))[0];
    const id = ok(['inspect', '-f', '{{.Id}}', 'web']).trim();
    assert.deepEqual(Object.keys(insp.Containers), [id]);
    assert.equal(insp.Containers[id].Name, 'web');
    assert.equal(insp.Containers[id].IPv4Address, `${ip}/24`);
    assert.match(insp.Containers[id].MacAddress, /^02:42:/);
    assert.deepEqual(JSON.parse(ok(['inspect', '-f', '{{json (index .NetworkSettings.Networks "red").Aliases}}', 'web'])), ['www']);
  });

  test('containers on different networks neither reach nor resolve each other', () => {
    const ip = ipOn('web', 'red');
    const r = d.docker(['run', '--rm', '--network', 'blue', 'busybox', 'sh', '-c', `nslookup web; ping -c 1 -W 1 ${ip} && echo REACHED`]);
    assert.match(r.stdout + r.stderr, /can't find web: NXDOMAIN/);
    assert.doesNotMatch(r.stdout, /REACHED/);
    const red = bridgeOf('red');
    const blue = bridgeOf('blue');
    const table = sh('nft', ['list', 'table', 'ip', `wharf_${blue.replace(/-/g, '_')}`]).stdout;
    assert.match(table, new RegExp(`iifname "${blue}" oifname .*"${red}".* drop`));
  });

  test('connect (--alias, --ip) gives a running container an interface on another network; disconnect takes it away', () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    ok(['run', '-d', '--name', 'other', '--network', 'blue', 'busybox', 'sleep', '1000']);
    ok(['network', 'connect', '--alias', 'backup', '--ip', `${sub(3)}.77`, 'red', 'other']);
    const addrs = ok(['exec', 'other', 'ip', '-4', '-o', 'addr']);
    assert.match(addrs, new RegExp(`eth1\\s+inet ${sub(3).replace(/\./g, '\\.')}\\.77/24`));
    assert.equal(ipOn('other', 'red'), `${sub(3)}.77`);
    // Now on red, it resolves and reaches web; web resolves it by its alias.
    assert.match(ok(['exec', 'other', 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc web 80']), /^hello$/m);
    assert.match(ok(['exec', 'web', 'nslookup', 'backup']), new RegExp(`Address:\\s+${sub(3).replace(/\./g, '\\.')}\\.77`));
    assert.match(fails(['network', 'connect', 'red', 'other']), /endpoint with name other already exists in network red/);
    ok(['network', 'disconnect', 'red', 'other']);
    assert.doesNotMatch(ok(['exec', 'other', 'ip', '-4', '-o', 'addr']), /eth1/);
    assert.match(fails(['network', 'disconnect', 'red', 'other']), /is not connected to network red/);
    const ev = ok(['events', '--since', since, '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'type=network', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    assert.match(ev, /^connect red$/m);
    assert.match(ev, /^disconnect red$/m);
  });

  test('run --ip takes the address asked for; a stopped container joins at its next start', () => {
    ok(['create', '--name', 'pinned', '--network', 'red', '--ip', `${sub(3)}.99`, 'busybox', 'sleep', '1000']);
    ok(['network', 'connect', 'blue', 'pinned']);
    ok(['start', 'pinned']);
    const addrs = ok(['exec', 'pinned', 'ip', '-4', '-o', 'addr']);
    assert.match(addrs, new RegExp(`eth0\\s+inet ${sub(3).replace(/\./g, '\\.')}\\.99/24`));
    assert.match(addrs, new RegExp(`eth1\\s+inet ${sub(4).replace(/\./g, '\\.')}\\.\\d+/24`));
    assert.match(ok(['exec', 'pinned', 'ip', 'route']), new RegExp(`default via ${sub(3).replace(/\./g, '\\.')}\\.1 dev eth0`));
    assert.deepEqual(Object.keys(JSON.parse(ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'pinned']))).sort(), ['blue', 'red']);
    assert.match(ok(['ps', '--filter', 'network=blue', '--format', '{{.Names}}']), /^pinned$/m);
  });

  test('rm of a network with active endpoints is refused with Docker\'s message', () => {
    const id = ok(['network', 'inspect', '-f', '{{.Id}}', 'red']).trim();
    const r = d.docker(['network', 'rm', 'red']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Error response from daemon: error while removing network: network red id ${id} has active endpoints`));
    assert.ok(linkExists(bridgeOf('red')));
  });

  test('an internal network has no route out and no masquerading', () => {
    ok(['network', 'create', '--internal', '--subnet', `${sub(5)}.0/24`, 'vault']);
    try {
      const out = ok(['run', '--rm', '--network', 'vault', 'busybox', 'ip', 'route']);
      assert.doesNotMatch(out, /default/);
      const table = sh('nft', ['list', 'table', 'ip', `wharf_${bridgeOf('vault').replace(/-/g, '_')}`]).stdout;
      assert.doesNotMatch(table, new RegExp(`ip saddr ${sub(5).replace(/\./g, '\\.')}\\.0/24 oifname != "br-[0-9a-f]+" masquerade`));
      assert.match(table, /oifname != "br-[0-9a-f]+" drop/);
    } finally {
      ok(['network', 'rm', 'vault']);
    }
  });
});

describe('bad input', () => {
  test('Docker\'s status and message; nothing half-made', () => {
    const before = sh('ip', ['-br', 'link']).stdout;
    ok(['network', 'create', '--subnet', `${sub(6)}.0/24`, 'taken']);
    try {
      assert.match(fails(['network', 'create', '--subnet', `${sub(6)}.128/25`, 'overlap']), /Pool overlaps with other one on this address space/);
      assert.match(fails(['network', 'create', '--subnet', `${sub(7)}.0/24`, '--gateway', `${sub(8)}.1`, 'badgw']), /no matching subnet for gateway/);
      assert.match(fails(['network', 'create', '--subnet', `${sub(7)}.0/24`, 'taken']), /network with name taken already exists/);
      assert.match(fails(['network', 'create', '--subnet', 'nonsense', 'badsub']), /invalid/i);
      assert.match(fails(['run', '--rm', '--network', 'nosuchnet', 'busybox', 'true']), /network nosuchnet not found/);
      assert.match(fails(['run', '--rm', '--network', 'taken', '-p', '80:99999', 'busybox', 'true']), /invalid (port|containerPort)/i);
      assert.match(fails(['run', '--rm', '--network', 'taken', '--ip', `${sub(9)}.5`, 'busybox', 'true']), /no available IPv4 addresses|not in/);
      assert.doesNotMatch(ok(['network', 'ls']), /overlap|badgw|badsub/);
      const links = sh('ip', ['-br', 'link']).stdout.split('\n').filter((l) => l.startsWith('br-') && !before.includes(l.split(' ')[0]));
      assert.deepEqual(links.map((l) => l.split(' ')[0]), [bridgeOf('taken')], 'only the one network\'s bridge');
    } finally {
      d.docker(['container', 'prune', '-f']);
      ok(['network', 'rm', 'taken']);
    }
  });
});

describe('docker-compose', () => {
  test('two services on a network: one reaches the other by service name; a published port answers on 127.0.0.1; down removes it all', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-test-compose-'));
    const project = `wt${process.pid}`;
    const env = { ...d.env, COMPOSE_PROJECT_NAME: project };
    const compose = (args: string[]) => runSync('docker-compose', ['-f', path.join(dir, 'docker-compose.yml'), ...args], env, { timeoutMs: 120_000 });
    writeFileSync(path.join(dir, 'docker-compose.yml'), [
      "version: '3'",
      'services:',
      '  web:',
      '    image: busybox',
      "    command: sh -c 'mkdir -p /www && echo hello-compose > /www/index.html && httpd -f -p 80 -h /www'",
      `    ports: ['127.0.0.1:${port}:80']`,
      '    networks: [appnet]',
      '  client:',
      '    image: busybox',
      '    command: sleep 1000',
      '    networks: [appnet]',
      'networks:',
      '  appnet:',
      '    ipam:',
      '      config:',
      `        - subnet: ${sub(10)}.0/24`,
      '',
    ].join('\n'));
    try {
      const up = compose(['up', '-d']);
      assert.equal(up.code, 0, up.stderr);
      const client = compose(['ps', '-q', 'client']).stdout.trim();
      assert.match(client, /^[0-9a-f]{64}$/);
      const page = await eventually(() => {
        const r = d.docker(['exec', client, 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc web 80']);
        return /hello-compose/.test(r.stdout) ? r.stdout : '';
      }, 10_000, 'web answering by service name');
      assert.match(page, /200 OK/);
      const local = await eventually(() => {
        const r = sh('curl', ['-s', '-m', '3', `http://127.0.0.1:${port}/`]);
        return r.stdout.trim();
      }, 10_000, 'published port');
      assert.equal(local, 'hello-compose');
      assert.match(ok(['network', 'ls', '--format', '{{.Name}}']), new RegExp(`^${project}_appnet$`, 'm'));
      const down = compose(['down']);
      assert.equal(down.code, 0, down.stderr);
      assert.doesNotMatch(ok(['network', 'ls', '--format', '{{.Name}}']), new RegExp(project));
      assert.equal(ok(['ps', '-aq']).trim(), '');
    } finally {
      compose(['down']);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kill -9 of the daemon', () => {
  test('after a restart networks, ports and names are as the journal says: no duplicate or orphan rule', async () => {
    ok(['network', 'create', '--subnet', `${sub(11)}.0/24`, 'durable']);
    ok(['network', 'create', '--subnet', `${sub(12)}.0/24`, 'doomed']);
    ok(['run', '-d', '--name', 'srv', '--network', 'durable', '-p', `127.0.0.1:${port + 1}:80`, 'busybox', 'sh', '-c', 'mkdir /www && echo still > /www/index.html && httpd -f -p 80 -h /www']);
    const doomed = bridgeOf('doomed');
    const durable = bridgeOf('durable');
    ok(['network', 'rm', 'doomed']);
    // A leftover as a crash would leave it: the removed network's bridge still there.
    sh('ip', ['link', 'add', doomed, 'type', 'bridge']);
    d.networkBridges.add(doomed);
    await d.kill9();
    await d.start();
    assert.ok(!linkExists(doomed), 'the removed network\'s bridge is gone');
    assert.ok(linkExists(durable));
    const out = ok(['run', '--rm', '--network', 'durable', 'busybox', 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc srv 80']);
    assert.match(out, /^still$/m);
    assert.equal(sh('curl', ['-s', '-m', '3', `http://127.0.0.1:${port + 1}/`]).stdout.trim(), 'still');
    const table = sh('nft', ['list', 'table', 'ip', `wharf_${durable.replace(/-/g, '_')}`]).stdout;
    assert.equal(table.split(`dport ${port + 1} `).length - 1, 1, table);
    ok(['rm', '-f', 'srv']);
    ok(['network', 'rm', 'durable']);
    assert.ok(!linkExists(durable) && !tableExists(durable));
  });
});
