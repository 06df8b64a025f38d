import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WharfError } from './errors';
import { chooseSubnet, parseCidr, subnetOf } from './network';
import { decideCreateNetwork } from './user-network';

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
