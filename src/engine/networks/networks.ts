import { createHash } from 'node:crypto';
import { invalidArgument } from '../../domain/errors';
import type { ContainerNetworkJoined, HostConfig } from '../../domain/events';
import { checkMac, subnetOf } from '../../domain/network';
import { isIp6 } from '../../domain/ipv6';
import type { EndpointConfig } from '../../domain/container';
import type { NetworkView } from '../../domain/user-network';
import { networkNotFound } from './container-network';


import type { EngineDeps } from '../ports';

/** What networks uses of the engine. */
export type NetworksDeps = Pick<EngineDeps, 'views' | 'network' | 'bootTime'>;
/**
 * The networks `docker network ls` shows: the predefined ones (bridge if the daemon has
 * its default bridge, host, none) and the user-defined ones of the journal.
 */
export type NetworkEntry = Omit<NetworkView, 'driver' | 'subnet' | 'gateway' | 'bridge'> &
  Partial<Pick<NetworkView, 'subnet' | 'gateway' | 'bridge'>> & {
    /** host and none have no bridge; a user network's driver is always bridge. */
    driver: 'bridge' | 'host' | 'null';
    predefined: boolean;
  };

const predefinedId = (name: string): string => createHash('sha256').update(`wharf-predefined-network:${name}`).digest('hex');

export function networkEntries(ctx: NetworksDeps): NetworkEntry[] {
  const out: NetworkEntry[] = [];
  const base = { internal: false, attachable: false, labels: {}, predefined: true, created: ctx.bootTime };
  const b = ctx.network;
  if (b) {
    out.push({
      ...base,
      id: b.id,
      name: 'bridge',
      driver: 'bridge',
      subnet: subnetOf(b.cidr),
      gateway: b.gateway,
      bridge: b.bridge,
      options: {
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_icc': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
        'com.docker.network.bridge.host_binding_ipv4': b.defaultHostIp || '0.0.0.0',
        'com.docker.network.bridge.name': b.bridge,
        'com.docker.network.driver.mtu': String(b.mtu),
      },
    });
  }
  out.push({ ...base, id: predefinedId('host'), name: 'host', driver: 'host', options: {} });
  out.push({ ...base, id: predefinedId('none'), name: 'none', driver: 'null', options: {} });
  for (const v of ctx.views.networks.values()) out.push(userEntry(v));
  return out;
}

export function userEntry(v: NetworkView): NetworkEntry {
  return { ...v, predefined: false };
}

/** A network by full id, name, or unique id prefix (Docker's order), or undefined. */
export function findNetwork(ctx: NetworksDeps, ref: string): NetworkEntry | undefined {
  const all = networkEntries(ctx);
  const byId = all.find((n) => n.id === ref);
  if (byId) return byId;
  const byName = all.find((n) => n.name === ref);
  if (byName) return byName;
  if (!/^[0-9a-f]+$/.test(ref)) return undefined;
  const matches = all.filter((n) => n.id.startsWith(ref));
  if (matches.length > 1) throw invalidArgument(`network ${ref} is ambiguous (${matches.length} matches found based on ID prefix)`);
  return matches[0];
}

export function getNetwork(ctx: NetworksDeps, ref: string): NetworkEntry {
  const n = findNetwork(ctx, ref);
  if (!n) throw networkNotFound(ref);
  return n;
}

export type EndpointSettings = {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] | null } | null;
  Links?: string[] | null;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
};
export type NetworkingConfig = { EndpointsConfig?: Record<string, EndpointSettings | null> | null } | null | undefined;

/**
 * An endpoint's settings beyond aliases and address, checked as Docker checks them: the MAC
 * (applied to the interface), link-local addresses (added to it), links and driver options (kept).
 */
export function endpointExtras(s: EndpointSettings | null | undefined, fallbackMac?: string): Pick<EndpointConfig, 'macAddress' | 'links' | 'driverOpts' | 'linkLocalIPs' | 'ipv6Address'> {
  const mac = s?.MacAddress || fallbackMac;
  const lls = s?.IPAMConfig?.LinkLocalIPs ?? [];
  for (const ip of lls) {
    if (!/^169\.254\.\d{1,3}\.\d{1,3}$/.test(ip) || ip.split('.').some((x) => Number(x) > 255)) throw invalidArgument(`Invalid link-local IP address: [${lls.join(' ')}]`);
  }
  const ip6 = s?.IPAMConfig?.IPv6Address;
  if (ip6 && !isIp6(ip6)) throw invalidArgument(`invalid IPv6 address: ${ip6}`);
  return {
    ...(mac ? { macAddress: checkMac(mac) } : {}),
    ...(s?.Links?.length ? { links: [...s.Links] } : {}),
    ...(s?.DriverOpts && Object.keys(s.DriverOpts).length ? { driverOpts: { ...s.DriverOpts } } : {}),
    ...(lls.length ? { linkLocalIPs: [...lls] } : {}),
    ...(ip6 ? { ipv6Address: ip6 } : {}),
  };
}

/**
 * The networks a new container joins: its NetworkMode's network and any other in
 * NetworkingConfig.EndpointsConfig, with their aliases, requested addresses and the other
 * endpoint settings (Config.MacAddress goes to the NetworkMode's network).
 * Refuses what Docker refuses: an unknown network, aliases or --ip on the default bridge.
 */
export function joinsAtCreate(ctx: NetworksDeps, id: string, hostConfig: HostConfig, nc: NetworkingConfig, configMac?: string): ContainerNetworkJoined[] {
  const mode = hostConfig.NetworkMode || 'default';
  const endpoints = { ...(nc?.EndpointsConfig ?? {}) };
  const joins: ContainerNetworkJoined[] = [];
  const join = (n: NetworkEntry, s: EndpointSettings | null | undefined, primary = false) => {
    const aliases = [...new Set(s?.Aliases ?? [])];
    const ip = s?.IPAMConfig?.IPv4Address || undefined;
    const extras = endpointExtras(s, primary ? configMac : undefined);
    if (n.predefined) {
      if (aliases.length) throw invalidArgument('network-scoped alias is supported only for containers in user defined networks');
      if (ip || extras.ipv6Address) throw invalidArgument('user specified IP address is supported on user defined networks only');
    }
    // A predefined network other than the NetworkMode's default bridge is never joined this way.
    if ((n.predefined && !primary) || !n.id) return;
    if (joins.some((j) => j.data.networkId === n.id)) return;
    joins.push({ type: 'container.network-joined', data: { id, network: n.name, networkId: n.id, aliases, ...(ip ? { ipv4Address: ip } : {}), ...extras } });
  };
  if (mode === 'default' || mode === 'bridge') {
    const s = endpoints.bridge ?? endpoints.default;
    // Without a default bridge (-b none) the settings are checked, and nothing is joined.
    join(ctx.network ? findNetwork(ctx, 'bridge')! : ({ predefined: true, id: '', name: 'bridge' } as NetworkEntry), s, true);
    delete endpoints.bridge;
    delete endpoints.default;
  } else if (mode !== 'host' && mode !== 'none' && !mode.startsWith('container:')) {
    // An unknown network is Docker's start error, not create's (a 404 at create makes the CLI pull).
    const n = findNetwork(ctx, mode);
    if (n) join(n, endpoints[mode] ?? endpoints[n.name] ?? endpoints[n.id], true);
    else endpointExtras(endpoints[mode], configMac);
    for (const k of [mode, n?.name, n?.id]) if (k) delete endpoints[k];
  } else {
    // No interface of its own to give it to (Docker: host and container:<x>; none has no interface either).
    if (configMac || Object.values(endpoints).some((e) => e?.MacAddress)) throw invalidArgument('conflicting options: mac-address and the network mode');
    return [];
  }
  for (const [ref, s] of Object.entries(endpoints)) join(getNetwork(ctx, ref), s);
  return joins;
}
