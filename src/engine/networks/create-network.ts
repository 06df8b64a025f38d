import { conflict, internal } from '../../domain/errors';
import { parseCidr, type Cidr } from '../../domain/network';
import { nowRfc3339 } from '../../domain/time';
import { newId } from '../../domain/ids';
import { decideCreateNetwork, type CreateNetworkRequest, type NetworkView } from '../../domain/user-network';
import { isBridge, linkExists, nftTableExists } from '../../network/bridge';
import { tableOf } from './container-network';
import { run } from '../../runtime/exec';
import { crashPoint } from '../lib/crash-point';

import { networkEntries } from './networks';
import { setUpNetwork, tearDownNetwork } from './network-setup';

import type { EngineDeps } from '../ports';

/** What create-network uses of the engine. */
export type CreateNetworkDeps = Pick<EngineDeps, 'journal' | 'views' | 'containersDir' | 'log' | 'locks' | 'network' | 'netDefaults' | 'bootTime' | 'dns' | 'portProxy'>;
/** Journal meta of a network's events: Docker's attributes name and type. */
export const networkMeta = (v: Pick<NetworkView, 'name'>) => ({ name: v.name, type: 'bridge' });

/**
 * docker network create: its bridge, table and resolver first, then the fact. A network that
 * cannot be set up is taken down again and records nothing (Docker's words: "existing
 * interface x is not a bridge"); a journal that refuses the fact gets it taken down too. An
 * interface that was there before is never removed. A crash in between leaves a bridge the
 * journal does not know, as a crash of Docker's does.
 */
export function createNetwork(ctx: CreateNetworkDeps, req: CreateNetworkRequest): Promise<{ Id: string; Warning: string }> {
  return ctx.locks.run('networks:', async () => {
    const existing = networkEntries(ctx);
    const ours = new Set(existing.map((n) => n.bridge).filter(Boolean));
    const decided = decideCreateNetwork(req, newId(), nowRfc3339(), existing, await hostRoutes(ours));
    const hadLink = await linkExists(decided.data.bridge);
    // Never take over what is not Wharf's: an interface that is not a bridge is refused; an
    // existing bridge is used as it is (recorded as not Wharf's, so never removed), unless a
    // Wharf table already runs it (another Wharf daemon's bridge, or this one's default).
    if (hadLink && !(await isBridge(decided.data.bridge))) throw internal(`existing interface ${decided.data.bridge} is not a bridge`);
    if (hadLink && ctx.netDefaults.firewall !== false && (await nftTableExists(tableOf(decided.data.bridge)))) {
      throw conflict(`bridge ${decided.data.bridge} is already used by another network (its nftables table ${tableOf(decided.data.bridge)} exists)`);
    }
    const e = { ...decided, data: { ...decided.data, createdBridge: !hadLink } };
    const undo = async () => {
      await tearDownNetwork(ctx, e.data, { keepBridge: hadLink }).catch((err: Error) => ctx.log.warn({ network: e.data.name, err: err.message }, 'cannot take a failed network down'));
    };
    try {
      await setUpNetwork(ctx, e.data);
    } catch (err) {
      await undo();
      throw internal((err as Error).message);
    }
    crashPoint('network.after-setup');
    try {
      await ctx.journal.append([e], networkMeta(e.data));
    } catch (err) {
      await undo();
      throw err;
    }
    return { Id: e.data.id, Warning: '' };
  });
}

/** The host's IPv4 routes (but those of Wharf's own bridges): subnets a new network must not take. */
async function hostRoutes(ours: Set<string | undefined>): Promise<Cidr[]> {
  const out = await run('ip', ['-4', 'route', 'show']).then((r) => r.stdout, () => '');
  return out.split('\n').flatMap((l) => {
    const w = l.trim().split(/\s+/);
    if (!w[0] || w[0] === 'default') return [];
    const dev = w[w.indexOf('dev') + 1];
    if (w.includes('dev') && ours.has(dev)) return [];
    try {
      return [parseCidr(w[0].includes('/') ? w[0] : `${w[0]}/32`)];
    } catch {
      return [];
    }
  });
}
