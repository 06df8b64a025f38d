import { createHash } from 'node:crypto';
import path from 'node:path';
import { bridgesOwnedBy, ensureBridge, linkExists, releaseBridge, removeBridge } from '../../network/bridge';
import { applyNft, deleteTableRuleset } from '../../network/netfilter';
import { WHARF_BRIDGE_NAME, wharfMadeBridge, wharfMadeTable, type NetworkView } from '../../domain/user-network';
import { tableOf, userNetwork, syncNat } from './container-network';


import type { EngineDeps } from '../ports';

/** What network-setup uses of the engine. */
export type NetworkSetupDeps = Pick<EngineDeps, 'journal' | 'views' | 'containersDir' | 'log' | 'locks' | 'network' | 'netDefaults' | 'dns' | 'portProxy'>;
/**
 * A user-defined network on the host: its bridge with the gateway address, every table
 * rewritten (with this network's, even before the journal knows it), its resolver bound. Idempotent.
 */
export async function setUpNetwork(ctx: NetworkSetupDeps, v: NetworkView, o: { syncTables?: boolean } = {}): Promise<void> {
  const n = userNetwork(ctx, v);
  // A bridge Wharf did not make (com.docker.network.bridge.name of an existing one) is used as it is.
  const adopt = !wharfMadeBridge(v);
  await ensureBridge({ name: n.bridge, gatewayCidr: `${n.gateway}/${n.cidr.prefix}`, mtu: n.mtu, owner: ownerMark(ctx), adopt, firewall: ctx.netDefaults.firewall !== false, ...(n.v6 ? { gateway6Cidr: `${n.v6.gateway}/${n.v6.cidr.prefix}` } : {}) });
  if (o.syncTables !== false) await syncNat(ctx, [n]);
  // A resolver that cannot bind (port 53 of the gateway taken) costs names, not the network.
  await ctx.dns?.bind(v.id, v.gateway).catch((e: Error) => ctx.log.warn({ network: v.name, err: e.message }, 'embedded DNS not available on this network'));
}

/**
 * Undo setUpNetwork: resolver closed, table deleted, bridge (and its forwarding exceptions)
 * removed, unless keepBridge (an interface that was there before the network).
 */
export async function tearDownNetwork(ctx: NetworkSetupDeps, v: Pick<NetworkView, 'id' | 'bridge' | 'createdBridge'>, o: { keepBridge?: boolean } = {}): Promise<void> {
  await ctx.dns?.unbind(v.id);
  // Only what Wharf made goes: a bridge it found (or one an older journal cannot vouch for) stays, with its table.
  if (wharfMadeTable(v)) await applyNft(deleteTableRuleset(tableOf(v.bridge))).catch(() => undefined);
  if (!o.keepBridge && wharfMadeBridge(v)) await removeBridge(v.bridge);
  else await releaseBridge(v.bridge);
  await syncNat(ctx).catch((e: Error) => ctx.log.warn({ err: e.message }, 'nftables update failed'));
}

/**
 * At boot: every network of the journal is set up again (bridges re-ensured, resolvers
 * rebound; the caller rewrites every table once after), and bridges of removed networks a
 * crash left behind go.
 */
export async function restoreNetworks(ctx: NetworkSetupDeps): Promise<void> {
  // Only bridges Wharf made: marked with this daemon's owner mark, or named br-<12 hex> (before the mark).
  const marked = new Set(await bridgesOwnedBy(ownerMark(ctx)));
  const retired = [...ctx.views.retiredBridges].filter((b) => ![...ctx.views.networks.values()].some((v) => v.bridge === b) && (marked.has(b) || WHARF_BRIDGE_NAME.test(b)));
  if (retired.length) await applyNft(retired.map((b) => deleteTableRuleset(tableOf(b))).join('')).catch(() => undefined);
  for (const b of retired) {
    if (await linkExists(b)) await removeBridge(b).catch((e: Error) => ctx.log.warn({ bridge: b, err: e.message }, 'cannot remove the bridge of a removed network'));
  }
  // Network create sets up, then records: a crash in between leaves a bridge of this daemon's that no fact knows.
  const known = new Set([...ctx.views.networks.values()].map((v) => v.bridge));
  for (const b of (await bridgesOwnedBy(ownerMark(ctx))).filter((x) => !known.has(x))) {
    ctx.log.info({ bridge: b }, 'removing a bridge a network create cut by a crash left');
    await applyNft(deleteTableRuleset(tableOf(b))).catch(() => undefined);
    await removeBridge(b).catch((e: Error) => ctx.log.warn({ bridge: b, err: e.message }, 'cannot remove the bridge of a network never recorded'));
  }
  for (const v of ctx.views.networks.values()) {
    await setUpNetwork(ctx, v, { syncTables: false }).catch((e: Error) => ctx.log.warn({ network: v.name, err: e.message }, 'cannot set up network'));
  }
}

/** The mark on the bridges this daemon makes (its data root's): another daemon's are never touched. */
function ownerMark(ctx: NetworkSetupDeps): string {
  return `wharf-${createHash('sha256').update(path.dirname(ctx.containersDir)).digest('hex').slice(0, 12)}`;
}
