import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WharfEvent } from '../domain/events';
import { evolveNetworks, evolveRetiredBridges, type NetworksView, type RetiredBridgesView } from './networks';

/** Both views after the records, as Views folds them (the bridges first, from the networks before). */
function given(...events: WharfEvent[]): { networks: NetworksView; bridges: RetiredBridgesView } {
  let networks: NetworksView = new Map();
  let bridges: RetiredBridgesView = new Set();
  for (const e of events) {
    bridges = evolveRetiredBridges(bridges, e, networks);
    networks = evolveNetworks(networks, e);
  }
  return { networks, bridges };
}

const created = (id: string, bridge: string): WharfEvent => ({
  type: 'network.created',
  data: { id, name: 'n' + id, driver: 'bridge', created: 't', bridge, subnet: '172.20.0.0/16', gateway: '172.20.0.1', internal: false, attachable: false, labels: {}, options: {} },
});

test('a created network is there as its record says', () => {
  const e = created('1', 'br-1');
  assert.deepEqual([...given(e).networks], [['1', e.data]]);
});

test('a removed network is gone and its bridge retired, until a network takes the bridge again', () => {
  const removed = given(created('1', 'br-1'), created('2', 'br-2'), { type: 'network.removed', data: { id: '1', name: 'n1' } });
  assert.deepEqual([...removed.networks.keys()], ['2']);
  assert.deepEqual([...removed.bridges], ['br-1']);
  const again = given(created('1', 'br-1'), { type: 'network.removed', data: { id: '1', name: 'n1' } }, created('3', 'br-1'));
  assert.deepEqual([...again.bridges], []);
});

test('the removal of a network never seen retires nothing', () => {
  assert.deepEqual([...given({ type: 'network.removed', data: { id: '9', name: 'n9' } }).bridges], []);
});
