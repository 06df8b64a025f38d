import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { TestDaemon } from './helpers/wharfd';

// docker network create -o com.docker.network.bridge.name=X never takes over what is not
// Wharf's: an interface that is not a bridge is refused (Docker's words); an existing bridge is
// used as it is (address and MTU untouched) and survives network rm. Traffic stays on the
// bridge this test makes.
const octet = 100 + ((process.pid + 71) % 150);
const veth = `wfo${octet}a`;
const peer = `wfo${octet}b`;
const bridge = `wfob${octet}`;
const d = new TestDaemon();
const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000 });
const must = (cmd: string, args: string[]) => {
  const r = sh(cmd, args);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const addrs = (name: string) => must('ip', ['-o', '-4', 'addr', 'show', 'dev', name]).split('\n').filter(Boolean).map((l) => l.split(/\s+/)[3]);
const mtu = (name: string) => Number(/mtu (\d+)/.exec(must('ip', ['link', 'show', name]))?.[1]);
const linkExists = (name: string) => sh('ip', ['link', 'show', name]).status === 0;

before(async () => {
  await d.start();
  d.importBusybox();
  must('ip', ['link', 'add', veth, 'mtu', '1400', 'type', 'veth', 'peer', 'name', peer]);
  must('ip', ['link', 'add', bridge, 'type', 'bridge']);
  must('ip', ['link', 'set', bridge, 'mtu', '1450', 'up']);
  must('ip', ['addr', 'add', `10.${octet}.91.1/24`, 'dev', bridge]);
});
after(async () => {
  await d.cleanup();
  for (const l of [veth, bridge]) sh('ip', ['link', 'del', l]);
  sh('nft', ['delete', 'table', 'ip', `wharf_${bridge}`]);
});

describe('network create on an interface Wharf did not make', () => {
  test('a veth is refused as Docker refuses it, and left as it was', () => {
    const err = d.dockerFails(['network', 'create', '--subnet', `10.${octet}.90.0/24`, '-o', `com.docker.network.bridge.name=${veth}`, 'onveth']);
    assert.match(err, new RegExp(`existing interface ${veth} is not a bridge`));
    assert.ok(linkExists(veth) && linkExists(peer));
    assert.equal(mtu(veth), 1400);
    assert.deepEqual(addrs(veth), []);
    assert.equal(d.docker(['network', 'inspect', 'onveth']).code, 1, 'no network recorded');
  });

  test('an existing bridge is used unchanged (address, MTU), and survives network rm and a daemon restart', async () => {
    d.dockerOk(['network', 'create', '--subnet', `10.${octet}.91.0/24`, '-o', `com.docker.network.bridge.name=${bridge}`, 'theirs']);
    assert.deepEqual(addrs(bridge), [`10.${octet}.91.1/24`]);
    assert.equal(mtu(bridge), 1450);
    // Containers use it: an address of the subnet, the bridge's address as their gateway.
    const out = d.dockerOk(['run', '--rm', '--network', 'theirs', 'busybox', 'sh', '-c', `ip -o -4 addr show eth0; ping -c 1 -W 2 10.${octet}.91.1 >/dev/null && echo reached`]);
    assert.match(out, new RegExp(`inet 10\\.${octet}\\.91\\.2/24`));
    assert.match(out, /reached/);
    const fact = d.wharfOk(['journal', 'export', '--filter', 'type=network.created']);
    assert.match(fact, /"createdBridge":false/);
    await d.stop();
    await d.start();
    assert.deepEqual(addrs(bridge), [`10.${octet}.91.1/24`], 'boot leaves it as it is');
    assert.equal(mtu(bridge), 1450);
    d.dockerOk(['network', 'rm', 'theirs']);
    assert.ok(linkExists(bridge), 'network rm keeps a bridge Wharf did not make');
    assert.deepEqual(addrs(bridge), [`10.${octet}.91.1/24`]);
    assert.equal(mtu(bridge), 1450);
    assert.notEqual(sh('nft', ['list', 'table', 'ip', `wharf_${bridge}`]).status, 0, "Wharf's own table for it is gone");
  });

  test('a bridge Wharf made for a name it was given is removed with its network', () => {
    const made = `wfom${octet}`;
    d.dockerOk(['network', 'create', '--subnet', `10.${octet}.92.0/24`, '-o', `com.docker.network.bridge.name=${made}`, 'ours']);
    assert.ok(linkExists(made));
    d.dockerOk(['network', 'rm', 'ours']);
    assert.ok(!linkExists(made));
  });
});
