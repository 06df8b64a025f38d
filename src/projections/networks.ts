import type { WharfEvent } from '../domain/events';
import type { NetworkView } from '../domain/user-network';

/** User-defined networks by id, each as its `network.created` record says. */
export type NetworksView = Map<string, NetworkView>;

export function evolveNetworks(networks: NetworksView, e: WharfEvent): NetworksView {
  if (e.type === 'network.created') networks.set(e.data.id, e.data);
  else if (e.type === 'network.removed') networks.delete(e.data.id);
  return networks;
}

/** Bridges of removed networks: boot deletes any a crash left behind. */
export type RetiredBridgesView = Set<string>;

/** `networks` is the networks view before this record (a removal names the network, not its bridge). */
export function evolveRetiredBridges(bridges: RetiredBridgesView, e: WharfEvent, networks: ReadonlyMap<string, NetworkView>): RetiredBridgesView {
  if (e.type === 'network.removed') {
    const b = networks.get(e.data.id)?.bridge;
    if (b) bridges.add(b);
  } else if (e.type === 'network.created') bridges.delete(e.data.bridge);
  return bridges;
}
