import { internal } from '../domain/errors';
import { parseCidr, type Cidr } from '../domain/network';
import { nowRfc3339 } from '../domain/time';
import { newId } from '../domain/ids';
import { decideCreateNetwork, type CreateNetworkRequest, type NetworkView } from '../domain/user-network';
import { run } from '../runtime/exec';
import type { EngineContext } from './context';
import { networkEntries } from './networks';
import { setUpNetwork, tearDownNetwork } from './network-setup';

/** Journal meta of a network's events: Docker's attributes name and type. */
export const networkMeta = (v: Pick<NetworkView, 'name'>) => ({ name: v.name, type: 'bridge' });

/**
 * docker network create: the fact first, then its bridge, table and resolver; a network
 * that cannot be set up is removed again (fact and host state), so nothing is left half-made.
 */
export function createNetwork(ctx: EngineContext, req: CreateNetworkRequest): Promise<{ Id: string; Warning: string }> {
  return ctx.locks.run('networks:', async () => {
    const existing = networkEntries(ctx);
    const ours = new Set(existing.map((n) => n.bridge).filter(Boolean));
    const e = decideCreateNetwork(req, newId(), nowRfc3339(), existing, await hostRoutes(ours));
    await ctx.journal.append([e], networkMeta(e.data));
    try {
      await setUpNetwork(ctx, e.data);
    } catch (err) {
      await ctx.journal.append([{ type: 'network.removed', data: { id: e.data.id, name: e.data.name } }], networkMeta(e.data));
      await tearDownNetwork(ctx, e.data).catch(() => undefined);
      throw internal(`failed to create network ${e.data.name}: ${(err as Error).message}`);
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
