import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ContainerView } from '../domain/container';
import { conflict, WharfError } from '../domain/errors';
import type { NetworkAttachment } from '../domain/events';
import { allocateIp, macFor, portClash, resolvePorts, subnetOf, type Cidr, type PublishedPort } from '../domain/network';
import { connectEndpoint } from '../network/bridge';
import { hostsFile, resolvConf } from '../network/etc-files';
import { applyNft, natRuleset } from '../network/netfilter';
import type { OciMount } from '../runtime/host-options';
import { appendFor, type EngineContext } from './context';

/** The daemon's default bridge network (dockerd's -b/--bip/--mtu/--ip). */
export interface BridgeNetwork {
  name: 'bridge';
  id: string;
  bridge: string;
  cidr: Cidr;
  gateway: string;
  mtu: number;
  /** Wharf's own nftables table for this bridge. */
  table: string;
  /** --ip: the host address published ports bind to by default ("" for all). */
  defaultHostIp: string;
}

export const networkIdOf = (bridge: string): string => createHash('sha256').update(`wharf-network:${bridge}`).digest('hex');

/** Whether a container gets an address on the default bridge. */
export function usesBridge(ctx: EngineContext, c: ContainerView): boolean {
  const mode = c.hostConfig.NetworkMode || 'default';
  return !!ctx.network && (mode === 'default' || mode === 'bridge');
}

/**
 * Before the container's process exists: its /etc/hosts, /etc/hostname and
 * /etc/resolv.conf, and (on the bridge) an address and its published ports, recorded
 * in the journal so that no other container can take them.
 */
export async function prepareNetwork(ctx: EngineContext, c: ContainerView): Promise<{ mounts: OciMount[]; attachment?: NetworkAttachment }> {
  const dir = path.join(ctx.containersDir, c.id);
  let attachment: NetworkAttachment | undefined;
  if (usesBridge(ctx, c)) {
    const n = ctx.network!;
    const others = [...ctx.views.containers.values()].filter((o) => o.id !== c.id && o.network);
    const ip = allocateIp(n.cidr, n.gateway, new Set(others.map((o) => o.network!.ip)));
    const taken = others.flatMap((o) => o.network!.ports);
    const ports = resolvePorts(c.hostConfig.PortBindings as never, !!c.hostConfig.PublishAllPorts, c.config.ExposedPorts, n.defaultHostIp, (proto, hostIp) =>
      randomHostPort(proto, hostIp, taken),
    );
    for (const p of ports) {
      const clash = portClash(p, taken);
      if (clash) throw conflict(`Bind for ${p.hostIp || '0.0.0.0'}:${p.hostPort} failed: port is already allocated`);
      taken.push(p);
      await checkHostPortFree(p);
    }
    attachment = { network: n.name, networkId: n.id, bridge: n.bridge, hostIf: `veth${c.id.slice(0, 8)}`, ip, prefix: n.cidr.prefix, gateway: n.gateway, mac: macFor(ip), ports };
    await appendFor(ctx, c, [{ type: 'container.network-connected', data: { id: c.id, ...attachment } }]);
  }
  const hostResolv = await fsp.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const mode = c.hostConfig.NetworkMode || 'default';
  const files: [string, string][] = [
    ['hosts', mode === 'host' ? await fsp.readFile('/etc/hosts', 'utf8').catch(() => '') : hostsFile({ hostname: c.config.Hostname, domainname: c.config.Domainname, ip: attachment?.ip, extraHosts: c.hostConfig.ExtraHosts as string[] | undefined })],
    ['hostname', `${c.config.Hostname}\n`],
    ['resolv.conf', resolvConf(hostResolv, { dns: c.hostConfig.Dns as string[], search: c.hostConfig.DnsSearch as string[], options: c.hostConfig.DnsOptions as string[] }, !!attachment)],
  ];
  await fsp.mkdir(dir, { recursive: true });
  const mounts: OciMount[] = [];
  for (const [name, text] of files) {
    await fsp.writeFile(path.join(dir, name), text);
    mounts.push({ destination: `/etc/${name}`, type: 'bind', source: path.join(dir, name), options: ['rbind', 'rprivate'] });
  }
  return { mounts, attachment };
}

/** Once the process exists (runc create done, not yet started): its veth, and the NAT table with its ports. */
export async function attachNetwork(ctx: EngineContext, a: NetworkAttachment, pid: number): Promise<void> {
  const n = ctx.network!;
  await connectEndpoint({ pid, hostIf: a.hostIf, bridge: a.bridge, ip: a.ip, prefix: a.prefix, gateway: a.gateway, mac: a.mac, mtu: n.mtu });
  if (a.ports.length) await syncNat(ctx);
}

/** Rewrite the bridge's NAT table from the views: every running container's published ports. */
export async function syncNat(ctx: EngineContext): Promise<void> {
  const n = ctx.network;
  if (!n) return;
  const endpoints = [...ctx.views.containers.values()]
    .filter((c) => c.network?.bridge === n.bridge && (c.status === 'running' || c.status === 'paused' || c.status === 'starting'))
    .map((c) => ({ ip: c.network!.ip, ports: c.network!.ports }));
  await applyNft(natRuleset({ table: n.table, bridge: n.bridge, subnet: subnetOf(n.cidr), endpoints }));
}

/** The network-disconnected fact for a container that had an address (its death released it). */
export function disconnectEvents(c: ContainerView) {
  return c.network ? [{ type: 'container.network-disconnected' as const, data: { id: c.id, network: c.network.network, networkId: c.network.networkId } }] : [];
}

function randomHostPort(proto: string, hostIp: string, taken: PublishedPort[]): number {
  for (let i = 0; i < 1000; i++) {
    const port = 32768 + Math.floor(Math.random() * (60999 - 32768));
    if (!taken.some((t) => t.hostPort === port && t.proto === proto)) return port;
  }
  throw new WharfError('unavailable', `no free host port for ${hostIp || '0.0.0.0'}/${proto}`);
}

/** A host process already listening there makes the port unusable, as with Docker. */
function checkHostPortFree(p: PublishedPort): Promise<void> {
  if (p.proto !== 'tcp') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') {
        reject(conflict(`driver failed programming external connectivity on endpoint: Bind for ${p.hostIp || '0.0.0.0'}:${p.hostPort} failed: port is already allocated`));
      } else resolve(); // e.g. an address of another host: the DNAT rule does not need a socket
    });
    s.listen({ port: p.hostPort, host: p.hostIp || '0.0.0.0', exclusive: true }, () => s.close(() => resolve()));
  });
}
