import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WharfError } from './errors';
import { chooseSubnet, parseCidr, subnetOf } from './network';
import { decideCreateNetwork, decideRemoveNetwork } from './user-network';

const id = 'a'.repeat(64);
const at = '2026-01-01T00:00:00Z';

test('create: defaults, the first free pool subnet, its first address as gateway, br-<12 hex>', () => {
  const e = decideCreateNetwork({ Name: 'n' }, id, at, [{ name: 'bridge', subnet: '172.17.0.0/16', bridge: 'wharf0' }], [parseCidr('172.18.5.0/24')]);
  assert.deepEqual(e.data, {
    id, name: 'n', driver: 'bridge', created: at, bridge: `br-${'a'.repeat(12)}`, subnet: '172.19.0.0/16', gateway: '172.19.0.1',
    internal: false, attachable: false, labels: {}, options: {},
  });
});

test('create: Docker\'s refusals', () => {
  const existing = [{ name: 'taken', subnet: '10.1.0.0/16', bridge: 'br-x' }];
  const refuse = (req: object, kind: string, msg: RegExp) =>
    assert.throws(() => decideCreateNetwork(req, id, at, existing, []), (e: WharfError) => e.kind === kind && msg.test(e.message));
  refuse({ Name: 'taken' }, 'conflict', /^network with name taken already exists$/);
  refuse({ Name: 'o', IPAM: { Config: [{ Subnet: '10.1.2.0/24' }] } }, 'forbidden', /Pool overlaps with other one on this address space/);
  refuse({ Name: 'g', IPAM: { Config: [{ Subnet: '10.2.0.0/24', Gateway: '10.3.0.1' }] } }, 'invalid-argument', /^no matching subnet for gateway 10\.3\.0\.1$/);
  refuse({ Name: 's', IPAM: { Config: [{ Subnet: 'bad' }] } }, 'invalid-argument', /invalid subnet/);
  refuse({ Name: 'd', Driver: 'overlay' }, 'not-found', /plugin "overlay" not found/);
  refuse({ Name: 'b', Options: { 'com.docker.network.bridge.name': 'br-x' } }, 'conflict', /already used/);
});

test('chooseSubnet skips what is in use, then moves to 192.168/20s', () => {
  const all172 = Array.from({ length: 15 }, (_, i) => parseCidr(`172.${17 + i}.0.0/16`));
  assert.equal(subnetOf(chooseSubnet([parseCidr('172.16.0.0/12')])!), '192.168.0.0/20');
  assert.equal(subnetOf(chooseSubnet([...all172, parseCidr('192.168.1.0/24')])!), '192.168.16.0/20');
  assert.equal(subnetOf(chooseSubnet([parseCidr('172.17.0.1/32')])!), '172.18.0.0/16');
});

test('create with IPv6: dual-stack, v6-only (v4 from the pool), a v6 subnet without --ipv6; dockerd 20.10\'s refusals', () => {
  const existing = [{ name: 'v6', subnet: '10.1.0.0/16', subnet6: 'fd00:1::/64', bridge: 'br-x' }];
  const dual = decideCreateNetwork({ Name: 'd', EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd00:2::/64', Gateway: 'fd00:2::fe' }, { Subnet: '10.2.0.0/24' }] } }, id, at, existing, []);
  assert.equal(dual.data.subnet, '10.2.0.0/24');
  assert.deepEqual([dual.data.enableIPv6, dual.data.subnet6, dual.data.gateway6], [true, 'fd00:2::/64', 'fd00:2::fe']);
  const only = decideCreateNetwork({ Name: 'o', EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd00:3::/64' }] } }, id, at, existing, []);
  assert.equal(only.data.subnet, '172.17.0.0/16');
  assert.equal(only.data.gateway6, undefined);
  const off = decideCreateNetwork({ Name: 'f', IPAM: { Config: [{ Subnet: 'fd00:4::/64' }] } }, id, at, existing, []);
  assert.deepEqual([off.data.enableIPv6, off.data.subnet6], [undefined, 'fd00:4::/64']);
  const refuse = (req: object, kind: string, msg: string) =>
    assert.throws(() => decideCreateNetwork(req, id, at, existing, []), (e: WharfError) => e.kind === kind && e.message === msg);
  const v6 = (Config: object[]) => ({ Name: 'x', EnableIPv6: true, IPAM: { Config } });
  refuse({ Name: 'x', EnableIPv6: true }, 'not-found', 'could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
  refuse(v6([{ Subnet: '10.3.0.0/24' }]), 'not-found', 'could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
  refuse(v6([{ Subnet: 'fd00:1::/80' }]), 'forbidden', 'Pool overlaps with other one on this address space');
  refuse(v6([{ Subnet: 'fd00:5::/64' }, { Subnet: 'fd00:6::/64' }]), 'forbidden', "bridge driver doesn't support multiple subnets");
  refuse(v6([{ Subnet: '10.5.0.0/24' }, { Subnet: '10.6.0.0/24' }, { Subnet: 'fd00:5::/64' }]), 'forbidden', "bridge driver doesn't support multiple subnets");
  refuse(v6([{ Subnet: 'fd00:77:zz::/64' }]), 'invalid-argument', 'Invalid subnet fd00:77:zz::/64 : invalid CIDR address: fd00:77:zz::/64');
  refuse(v6([{ Gateway: 'fd00:7::1' }]), 'invalid-argument', 'Invalid subnet  : invalid CIDR address: ');
  refuse(v6([{ Subnet: 'fd00:5::/64', Gateway: 'zz' }]), 'invalid-argument', 'invalid gateway address zz in Ipam configuration');
  refuse(v6([{ Subnet: 'fd00:5::/64', Gateway: 'fd00:7::1' }]), 'invalid-argument', 'failed to allocate gateway (fd00:7::1): Requested address is out of range');
  refuse(v6([{ Subnet: 'fd00:5::/64', Gateway: '10.8.0.1' }]), 'invalid-argument', 'failed to allocate gateway (10.8.0.1): Requested address is out of range');
});

test('network rm: predefined networks are forbidden, active endpoints a conflict, else network.removed', () => {
  assert.throws(() => decideRemoveNetwork({ id: 'x', name: 'bridge', predefined: true }, 0), (e) => e instanceof WharfError && e.kind === 'forbidden' && e.message === 'bridge is a pre-defined network and cannot be removed');
  assert.throws(() => decideRemoveNetwork({ id: 'x', name: 'net' }, 1), (e) => e instanceof WharfError && e.kind === 'conflict' && e.message === 'error while removing network: network net id x has active endpoints');
  assert.deepEqual(decideRemoveNetwork({ id: 'x', name: 'net' }, 0), [{ type: 'network.removed', data: { id: 'x', name: 'net' } }]);
});
