import type { WharfEvent } from '../../domain/events';
import { decideRemoveNetwork, type NetworkView } from '../../domain/user-network';
import { attachmentsOf } from './container-network';

import { networkMeta } from './create-network';
import { getNetwork } from './networks';
import { tearDownNetwork } from './network-setup';

import type { EngineDeps } from '../ports';

/** What remove-network uses of the engine. */
export type RemoveNetworkDeps = Pick<EngineDeps, 'journal' | 'views' | 'containersDir' | 'log' | 'locks' | 'network' | 'netDefaults' | 'bootTime' | 'dns' | 'portProxy'>;
/** Running containers with an address on the network: its active endpoints. */
const activeEndpoints = (ctx: RemoveNetworkDeps, id: string) =>
  [...ctx.views.containers.values()].filter((c) => attachmentsOf(c).some((a) => a.networkId === id));

/** docker network rm: refused for predefined networks and networks with active endpoints. */
export function removeNetwork(ctx: RemoveNetworkDeps, ref: string): Promise<void> {
  return ctx.locks.run('networks:', async () => {
    const n = getNetwork(ctx, ref);
    const events = decideRemoveNetwork(n, activeEndpoints(ctx, n.id).length);
    await removeLocked(ctx, ctx.views.networks.get(n.id)!, events);
  });
}

async function removeLocked(ctx: RemoveNetworkDeps, v: NetworkView, events: WharfEvent[]): Promise<void> {
  await ctx.journal.append(events, networkMeta(v));
  await tearDownNetwork(ctx, v);
}

/** docker network prune: every user-defined network without active endpoints (filters: label, label!, until). */
export function pruneNetworks(ctx: RemoveNetworkDeps, filters: Record<string, string[]>): Promise<string[]> {
  return ctx.locks.run('networks:', async () => {
    const removed: string[] = [];
    for (const v of [...ctx.views.networks.values()]) {
      if (activeEndpoints(ctx, v.id).length) continue;
      if (!labelsMatch(v.labels, filters.label ?? [], filters['label!'] ?? [])) continue;
      if (filters.until?.length && !(Date.parse(v.created) < untilMs(filters.until[0]))) continue;
      await removeLocked(ctx, v, decideRemoveNetwork(v, 0));
      removed.push(v.name);
    }
    return removed;
  });
}

/** Docker's label filters: "key" or "key=value" must match (label), or must not (label!). */
export function labelsMatch(labels: Record<string, string>, want: string[], notWant: string[] = []): boolean {
  const has = (f: string) => {
    const i = f.indexOf('=');
    return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
  };
  return want.every(has) && !notWant.some(has);
}

function untilMs(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const m = /^(\d+)(s|m|h)$/.exec(v);
  if (m) return Date.now() - Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
  return Date.parse(v);
}
