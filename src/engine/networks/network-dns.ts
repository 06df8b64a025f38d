import { promises as fsp } from 'node:fs';
import type { ContainerView } from '../../domain/container';
import { DnsServer, nameservers, type Resolution } from '../../network/dns-server';
import { TYPE_A, TYPE_AAAA } from '../../network/dns-message';
import { attachmentsOf } from './container-network';


import type { EngineDeps } from '../ports';

/** What network-dns uses of the engine. */
export type NetworkDnsDeps = Pick<EngineDeps, 'views'>;
/**
 * The embedded DNS of user-defined networks: one UDP server on each network's gateway
 * (port 53; Docker uses 127.0.0.11 inside the container instead). A container resolves
 * the names (container name, short id, aliases) of the containers on the networks it is
 * attached to; names it does not know and that have no dot are NXDOMAIN, the rest go to
 * the host's resolvers.
 */
export class EmbeddedDns {
  private readonly servers = new Map<string, { address: string; server: DnsServer }>();
  private upstreams: string[] = [];

  constructor(private readonly ctx: NetworkDnsDeps) {}

  async init(): Promise<void> {
    this.upstreams = nameservers(await fsp.readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
  }

  /** Serve on the network's gateway (again, if it moved); idempotent. */
  async bind(networkId: string, gateway: string): Promise<void> {
    const cur = this.servers.get(networkId);
    if (cur?.address === gateway) return;
    cur?.server.close();
    const server = new DnsServer((from, name, type) => this.resolve(from, name, type), () => this.upstreams);
    await server.listen(gateway, 53);
    this.servers.set(networkId, { address: gateway, server });
  }

  async unbind(networkId: string): Promise<void> {
    this.servers.get(networkId)?.server.close();
    this.servers.delete(networkId);
  }

  close(): void {
    for (const s of this.servers.values()) s.server.close();
    this.servers.clear();
  }

  private resolve(from: string, name: string, type: number): Resolution {
    const live = [...this.ctx.views.containers.values()].filter((c) => attachmentsOf(c).length);
    const requester = live.find((c) => attachmentsOf(c).some((a) => a.ip === from));
    const nets = new Set(requester ? attachmentsOf(requester).filter((a) => this.ctx.views.networks.has(a.networkId)).map((a) => a.networkId) : []);
    const addresses: string[] = [];
    // A: the IPv4 address there; AAAA: the IPv6 one, on a network with IPv6 enabled.
    const pick = (a: { ip: string; ip6?: string }) => (type === TYPE_AAAA ? a.ip6 : type === TYPE_A ? a.ip : undefined);
    // Endpoint links (--link on a user-defined network): the alias resolves for this container only,
    // to the linked container's address on that network.
    for (const a of requester ? attachmentsOf(requester) : []) {
      for (const l of requester!.endpoints?.[a.networkId]?.links ?? []) {
        const [target, alias] = l.split(':');
        if ((alias || target).toLowerCase() !== name) continue;
        const t = live.find((c) => c.name === target.replace(/^\//, '') || c.id === target || (target.length >= 12 && c.id.startsWith(target)));
        const at = t && attachmentsOf(t).find((x) => x.networkId === a.networkId);
        if (at) addresses.push(pick(at) ?? '');
      }
    }
    for (const c of live) {
      for (const a of attachmentsOf(c)) {
        if (nets.has(a.networkId) && namesOf(c, a.aliases).includes(name)) addresses.push(pick(a) ?? '');
      }
    }
    // A known name without an address of the asked type: NOERROR and no answer, as Docker's.
    if (addresses.length) return { addresses: [...new Set(addresses.filter(Boolean))] };
    return name.includes('.') ? 'forward' : 'nxdomain';
  }
}

const namesOf = (c: ContainerView, aliases: string[] | undefined): string[] =>
  [c.name, c.id.slice(0, 12), ...(aliases ?? [])].map((n) => n.toLowerCase());
