import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ContainerView, EndpointConfig } from '../../domain/container';
import { isRunning } from '../../domain/container';
import { conflict, notFound, WharfError } from '../../domain/errors';
import type { NetworkAttachment, WharfEvent } from '../../domain/events';
import { allocateIp, macFor, parseCidr, portClash, resolvePorts, subnetOf, type BridgeNetwork, type Cidr, type PublishedPort } from '../../domain/network';
import { gateway6Of, type NetworkView } from '../../domain/user-network';
import { allocateIp6, parseCidr6, subnet6Of, type Cidr6 } from '../../domain/ipv6';
import { connectEndpoint } from '../../network/bridge';
import { hostsFile, resolvConf } from '../../network/etc-files';
import { applyNft, natRuleset } from '../../network/netfilter';
import type { OciMount } from '../../runtime/host-options';
import { findContainer } from '../lookup';
import { networkDonorOf } from '../containers/container-namespaces';
import { donorOf } from '../../domain/namespace-modes';
import { linkHosts } from '../containers/container-links';


import type { EngineDeps } from '../ports';

/** What container-network uses of the engine. */
export type ContainerNetworkDeps = Pick<EngineDeps, 'journal' | 'views' | 'containersDir' | 'locks' | 'network' | 'netDefaults' | 'portProxy'>;
export const networkIdOf = (bridge: string): string => createHash('sha256').update(`wharf-network:${bridge}`).digest('hex');
export const tableOf = (bridge: string): string => `wharf_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`;


export function userNetwork(ctx: ContainerNetworkDeps, v: NetworkView): BridgeNetwork {
  const cidr = parseCidr(v.subnet);
  return {
    name: v.name,
    id: v.id,
    bridge: v.bridge,
    cidr: { ...cidr, ip: v.gateway },
    gateway: v.gateway,
    mtu: Number(v.options['com.docker.network.driver.mtu']) || ctx.netDefaults.mtu,
    table: tableOf(v.bridge),
    defaultHostIp: ctx.netDefaults.defaultHostIp,
    internal: v.internal,
    userDefined: true,
    ...(v.enableIPv6 && v.subnet6 ? { v6: { cidr: parseCidr6(v.subnet6)!, gateway: gateway6Of(v)! } } : {}),
    ...(v.ipRange ? { range: parseCidr(v.ipRange) } : {}),
    ...(v.auxAddresses ? { reserved: Object.values(v.auxAddresses) } : {}),
  };
}

/** Every bridge network: the default one (unless disabled), then the user-defined ones. */
export function bridgeNetworks(ctx: ContainerNetworkDeps): BridgeNetwork[] {
  return [...(ctx.network ? [ctx.network] : []), ...[...ctx.views.networks.values()].map((v) => userNetwork(ctx, v))];
}

export function bridgeNetworkById(ctx: ContainerNetworkDeps, id: string): BridgeNetwork | undefined {
  if (ctx.network?.id === id) return ctx.network;
  const v = ctx.views.networks.get(id);
  return v && userNetwork(ctx, v);
}

/** The networks a container is a member of, primary first: its NetworkMode's, then those joined. */
export function membershipOf(ctx: ContainerNetworkDeps, c: ContainerView): EndpointConfig[] {
  const mode = c.hostConfig.NetworkMode || 'default';
  const isDefault = mode === 'default' || mode === 'bridge';
  // A container of a journal from before network-joined facts: its NetworkMode says.
  const out = c.endpoints ? Object.values(c.endpoints) : isDefault && ctx.network ? [{ network: 'bridge', networkId: ctx.network.id, aliases: [] }] : [];
  // A NetworkMode network that did not exist at create: looked up by name at start.
  const userMode = !isDefault && mode !== 'host' && mode !== 'none' && !mode.startsWith('container:');
  if (userMode && !out.some((e) => e.network === mode || e.networkId === mode)) out.unshift({ network: mode, networkId: '', aliases: [] });
  return out;
}

/** A container's attachments, primary first. */
export const attachmentsOf = (c: ContainerView): NetworkAttachment[] => Object.values(c.networks ?? {});
/** The primary attachment: where its published ports are. */
export const primaryOf = (c: ContainerView): NetworkAttachment | undefined => attachmentsOf(c)[0];
export const portsOf = (c: ContainerView): PublishedPort[] => attachmentsOf(c).flatMap((a) => a.ports);

/** The host end of a container's veth on a network: unique per (container, network), at most 15 characters. */
const hostIfOf = (containerId: string, networkId: string): string =>
  `veth${createHash('sha256').update(`${containerId}:${networkId}`).digest('hex').slice(0, 8)}`;

/**
 * An address on the network for the container (the one asked for, else the lowest free),
 * with its published ports when it is the primary one: the network-connected fact.
 */
export function allocate(ctx: ContainerNetworkDeps, c: ContainerView, m: EndpointConfig, n: BridgeNetwork, index: number, withPorts: boolean): NetworkAttachment {
  const others = [...ctx.views.containers.values()].filter((o) => o.id !== c.id);
  const used = new Set(others.flatMap((o) => attachmentsOf(o).filter((a) => a.networkId === n.id).map((a) => a.ip)));
  for (const r of n.reserved ?? []) used.add(r);
  const ip = allocateIp(n.cidr, n.gateway, used, m.ipv4Address || undefined, n.range);
  // --ip6 on a network without IPv6 is kept (inspect shows it) and gives no address, as with Docker.
  const used6 = new Set(others.flatMap((o) => attachmentsOf(o).filter((a) => a.networkId === n.id && a.ip6).map((a) => a.ip6!)));
  const ip6 = n.v6 && allocateIp6(n.v6.cidr, n.v6.gateway, used6, m.ipv6Address || undefined);
  let ports: PublishedPort[] = [];
  if (withPorts && !n.internal) {
    const taken = others.flatMap(portsOf);
    ports = resolvePorts(c.hostConfig.PortBindings as never, !!c.hostConfig.PublishAllPorts, c.config.ExposedPorts, n.defaultHostIp, (proto, hostIp) =>
      randomHostPort(proto, hostIp, taken),
    );
    for (const p of ports) {
      const clash = portClash(p, taken);
      if (clash) throw conflict(`Bind for ${p.hostIp || '0.0.0.0'}:${p.hostPort} failed: port is already allocated`);
      taken.push(p);
    }
  }
  return {
    network: n.name,
    networkId: n.id,
    bridge: n.bridge,
    hostIf: hostIfOf(c.id, n.id),
    ip,
    prefix: n.cidr.prefix,
    gateway: n.gateway,
    // --mac-address (or the endpoint's MacAddress) as asked, else derived from the address as Docker does.
    mac: m.macAddress ?? macFor(ip),
    ports,
    aliases: m.aliases,
    ifName: `eth${index}`,
    ...(m.linkLocalIPs?.length ? { linkLocalIPs: m.linkLocalIPs } : {}),
    ...(n.v6 && ip6 ? { ip6, prefix6: n.v6.cidr.prefix, gateway6: n.v6.gateway } : {}),
  };
}

/** An attachment's IPv6 side, as connectEndpoint takes it. */
export const v6Of = (a: NetworkAttachment): { ip6?: string; prefix6?: number; gateway6?: string } =>
  a.ip6 ? { ip6: a.ip6, prefix6: a.prefix6, gateway6: a.gateway6 } : {};

/** Addresses and host ports are chosen and recorded under this lock: two starts never take the same. */
export const IPAM_LOCK = 'ipam:';

export function networkNotFound(ref: string, atStart = false): WharfError {
  return notFound(`${atStart ? 'failed to set up container networking: ' : ''}network ${ref} not found`);
}

/** The addresses a start reserves on the container's networks, with the facts that record them. */
export interface NetworkReservation {
  attachments: NetworkAttachment[];
  events: WharfEvent[];
}

/**
 * Decide the start's addresses: one on each of the container's networks, with its published
 * ports (free on the host). Called under IPAM_LOCK, and the caller appends the events before it
 * lets the lock go, so that no other container can take them. Nothing on the host changes.
 */
export async function reserveNetwork(ctx: ContainerNetworkDeps, c: ContainerView): Promise<NetworkReservation> {
  // container:<x>: its network namespace, so no address of its own.
  if (networkDonorOf(ctx, c)) return { attachments: [], events: [] };
  const out: NetworkAttachment[] = [];
  for (const m of membershipOf(ctx, c)) {
    const n = bridgeNetworkById(ctx, m.networkId) ?? (m.networkId ? undefined : bridgeNetworks(ctx).find((x) => x.name === m.network));
    // The default bridge of a daemon now running with --bridge none: no network, as then.
    if (!n && m.network === 'bridge') continue;
    if (!n) throw networkNotFound(m.network, true);
    out.push(allocate(ctx, c, m, n, out.length, out.length === 0));
  }
  for (const p of out[0]?.ports ?? []) await checkHostPortFree(p);
  return { attachments: out, events: out.map((a) => ({ type: 'container.network-connected' as const, data: { id: c.id, ...a } })) };
}

/**
 * Before the container's process exists: its /etc/hosts, /etc/hostname and /etc/resolv.conf
 * (for its first address, if any), as the bind mounts of its spec.
 */
export async function writeNetworkFiles(ctx: ContainerNetworkDeps, c: ContainerView, attachments: NetworkAttachment[]): Promise<OciMount[]> {
  // container:<x>: its network namespace, so its files (a rewrite of its resolv.conf, as cri-dockerd does, is seen by both).
  const donor = networkDonorOf(ctx, c);
  if (donor) return etcMounts(etcDirOf(ctx, donor));
  const dir = path.join(ctx.containersDir, c.id);
  const primary = attachments[0];
  const primaryNet = primary && bridgeNetworkById(ctx, primary.networkId);
  // Synchronous reads and writes of small files: cheaper than their trips through libuv's thread pool on a start.
  const hostResolv = readOr('/etc/resolv.conf');
  const mode = c.hostConfig.NetworkMode || 'default';
  // The daemon's --dns, --dns-search, --dns-opt stand in for each that the container does not set (as dockerd).
  const own = (v: unknown, dflt: string[] | undefined) => ((v as string[] | null)?.length ? (v as string[]) : dflt?.length ? dflt : (v as string[]));
  const dns = { dns: own(c.hostConfig.Dns, ctx.netDefaults.dns), search: own(c.hostConfig.DnsSearch, ctx.netDefaults.dnsSearch), options: own(c.hostConfig.DnsOptions, ctx.netDefaults.dnsOptions) };
  // On a user-defined network the daemon's resolver on the gateway answers (Docker's 127.0.0.11).
  const resolv = primaryNet?.userDefined
    ? resolvConf(`nameserver ${primaryNet.gateway}\n${hostResolv.split('\n').filter((l) => /^(search|options)\s/.test(l.trim())).join('\n')}`, { ...dns, dns: dns.dns?.length ? dns.dns : [primaryNet.gateway] }, false)
    : resolvConf(hostResolv, dns, !!primary);
  const files: [string, string][] = [
    ['hosts', mode === 'host' ? readOr('/etc/hosts') : hostsFile({ hostname: c.config.Hostname, domainname: c.config.Domainname, ip: primary?.ip, ip6: primary?.ip6, extraHosts: c.hostConfig.ExtraHosts as string[] | undefined, links: linkHosts(ctx, c) })],
    ['hostname', `${c.config.Hostname}\n`],
    ['resolv.conf', resolv],
  ];
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of files) writeFileSync(path.join(dir, name), text);
  return etcMounts(dir);
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const ETC_FILES = ['hosts', 'hostname', 'resolv.conf'];

function etcMounts(dir: string): OciMount[] {
  return ETC_FILES.map((name) => ({ destination: `/etc/${name}`, type: 'bind', source: path.join(dir, name), options: ['rbind', 'rprivate'] }));
}

/** Where a container's /etc/hosts, hostname and resolv.conf are: its own dir, or its network donor's (as Docker's inspect shows). */
export function etcDirOf(ctx: ContainerNetworkDeps, c: ContainerView): string {
  const ref = donorOf(c.hostConfig.NetworkMode);
  const donor = ref === undefined ? undefined : findContainer(ctx.views, ref);
  return path.join(ctx.containersDir, (donor ?? c).id);
}

/** Once the process exists (runc create done, not yet started): a veth per network, and the NAT tables with its ports. */
export async function attachNetwork(ctx: ContainerNetworkDeps, attachments: NetworkAttachment[], pid: number): Promise<void> {
  let routed = false;
  for (const a of attachments) {
    const n = bridgeNetworkById(ctx, a.networkId);
    if (!n) throw networkNotFound(a.network);
    const defaultRoute: boolean = !routed && !n.internal;
    routed ||= defaultRoute;
    await connectEndpoint({ pid, hostIf: a.hostIf, bridge: a.bridge, ip: a.ip, prefix: a.prefix, gateway: a.gateway, mac: a.mac, mtu: n.mtu, ifName: a.ifName ?? 'eth0', defaultRoute, linkLocalIPs: a.linkLocalIPs, ...v6Of(a) });
  }
  if (attachments.some((a) => a.ports.length)) await syncNat(ctx);
}

/**
 * Rewrite every bridge's nftables table from the views, in one `nft -f`: each running
 * container's published ports, masquerading, and the isolation between Wharf's bridges.
 * Serialised, so that the last write reflects the latest views. `extra`: a network being
 * created, set up before its fact is recorded.
 */
export function syncNat(ctx: ContainerNetworkDeps, extra: BridgeNetwork[] = []): Promise<void> {
  return ctx.locks.run('netfilter:', async () => {
    // --iptables=false: the operator's own rules, none of Wharf's.
    if (ctx.netDefaults.firewall === false) return;
    const nets = [...bridgeNetworks(ctx), ...extra.filter((x) => !ctx.views.networks.has(x.id))];
    if (!nets.length) return;
    const live = [...ctx.views.containers.values()].filter((c) => isRunning(c) || c.status === 'starting');
    const ruleset = nets.map((n) => natRuleset({
      table: n.table,
      bridge: n.bridge,
      subnet: subnetOf(n.cidr),
      ...(n.v6 ? { subnet6: subnet6Of(n.v6.cidr) } : {}),
      endpoints: live.flatMap((c) => attachmentsOf(c).filter((a) => a.networkId === n.id).map((a) => ({ ip: a.ip, ip6: a.ip6, ports: a.ports }))),
      others: nets.filter((o) => o.bridge !== n.bridge).map((o) => o.bridge),
      internal: n.internal,
      icc: n.icc,
    })).join('');
    await applyNft(ruleset);
    // [::1] of the ports published on IPv6 networks: the relay (see port-proxy.ts).
    await ctx.portProxy?.sync(live.flatMap((c) => attachmentsOf(c).flatMap((a) => {
      const n = nets.find((x) => x.id === a.networkId);
      if (!n?.v6 || n.internal || !a.ip6) return [];
      return a.ports.filter((p) => p.proto === 'tcp' && ['', '::', '::1'].includes(p.hostIp)).map((p) => ({ host: '::1', port: p.hostPort, targetHost: a.ip6!, targetPort: p.containerPort }));
    })));
  });
}

/** The network-disconnected facts of a container whose death (or failed start) released its addresses. */
export function disconnectEvents(c: ContainerView): WharfEvent[] {
  return attachmentsOf(c).map((a) => ({ type: 'container.network-disconnected' as const, data: { id: c.id, network: a.network, networkId: a.networkId } }));
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
