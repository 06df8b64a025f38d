import { conflict, invalidArgument } from './errors';
import type { Cidr6 } from './ipv6';

/** IPv4 helpers, IPAM and port bindings: pure. */

export function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw invalidArgument(`invalid IP address: ${ip}`);
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  /** The address as written ("172.29.0.1" of "172.29.0.1/16"). */
  ip: string;
  prefix: number;
  /** The network address and the first address past it. */
  base: number;
  end: number;
}

export function parseCidr(s: string): Cidr {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(s);
  if (!m || Number(m[2]) > 32) throw invalidArgument(`invalid CIDR address: ${s}`);
  const prefix = Number(m[2]);
  const ip = ipToInt(m[1]);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const base = (ip & mask) >>> 0;
  return { ip: m[1], prefix, base, end: base + 2 ** (32 - prefix) };
}

export const subnetOf = (c: Cidr): string => `${intToIp(c.base)}/${c.prefix}`;

export function inSubnet(ip: string, c: Cidr): boolean {
  const n = ipToInt(ip);
  return n >= c.base && n < c.end;
}

/**
 * The next free address of the subnet (not the network, gateway or broadcast address), or
 * the one asked for if it is free and inside.
 */
export function allocateIp(subnet: Cidr, gateway: string, used: Set<string>, requested?: string, range?: Cidr): string {
  if (requested) {
    if (!inSubnet(requested, subnet)) throw invalidArgument(`no available IPv4 addresses on this network's address pools: ${requested} is not in ${subnetOf(subnet)}`);
    if (used.has(requested) || requested === gateway) throw conflict(`Address already in use`);
    return requested;
  }
  // --ip-range: from the range's second address (its first is skipped, as Docker's IPAM does), within the subnet.
  const from = range ? Math.max(range.base, subnet.base) + 1 : subnet.base + 1;
  const to = range ? Math.min(range.end, subnet.end - 1) : subnet.end - 1;
  for (let n = from; n < to; n++) {
    const ip = intToIp(n);
    if (ip !== gateway && !used.has(ip)) return ip;
  }
  throw conflict(`no available IPv4 addresses on this network's address pools: ${subnetOf(subnet)}`);
}

/** Docker derives a container's MAC address from its IPv4 address: 02:42:<ip>. */
/** A MAC address as Go's net.ParseMAC reads a 48-bit one (colons or dashes), or Docker's refusal. */
export function checkMac(mac: string): string {
  if (!/^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(mac)) throw invalidArgument(`invalid MAC address: ${mac}`);
  return mac.toLowerCase().replace(/-/g, ':');
}

export function macFor(ip: string): string {
  return ['02', '42', ...ip.split('.').map((x) => Number(x).toString(16).padStart(2, '0'))].join(':');
}

export interface PublishedPort {
  proto: 'tcp' | 'udp';
  containerPort: number;
  /** "" for every address of the host. */
  hostIp: string;
  hostPort: number;
}

export type PortBindings = Record<string, { HostIp?: string; HostPort?: string }[] | null>;

/** "80/tcp" → [80, "tcp"]. */
export function parsePortKey(k: string): [number, 'tcp' | 'udp'] {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(k);
  if (!m) throw invalidArgument(`invalid port specification: "${k}"`);
  const port = Number(m[1]);
  if (port < 1 || port > 65535) throw invalidArgument(`invalid port specification: "${k}"`);
  if (m[2] === 'sctp') throw invalidArgument('sctp ports are not supported');
  return [port, (m[2] as 'tcp' | 'udp') ?? 'tcp'];
}

/**
 * The ports to publish: -p bindings (a random host port where none is given), and with -P
 * every exposed port that has no binding. pick(proto, hostIp) chooses a free random port.
 */
export function resolvePorts(
  bindings: PortBindings | null | undefined,
  publishAll: boolean,
  exposed: Record<string, object> | undefined,
  defaultHostIp: string,
  pick: (proto: 'tcp' | 'udp', hostIp: string) => number,
): PublishedPort[] {
  const out: PublishedPort[] = [];
  const keys = new Set(Object.keys(bindings ?? {}));
  if (publishAll) for (const k of Object.keys(exposed ?? {})) keys.add(k);
  for (const k of keys) {
    const [containerPort, proto] = parsePortKey(k);
    const list = bindings?.[k]?.length ? bindings[k]! : [{ HostIp: '', HostPort: '' }];
    for (const b of list) {
      const hostIp = b.HostIp && b.HostIp !== '0.0.0.0' ? b.HostIp : defaultHostIp;
      let hostPort: number;
      if (!b.HostPort) hostPort = pick(proto, hostIp);
      else {
        const m = /^(\d+)(?:-(\d+))?$/.exec(b.HostPort);
        if (!m) throw invalidArgument(`invalid port specification: "${b.HostPort}"`);
        hostPort = Number(m[1]);
        if (hostPort < 1 || hostPort > 65535) throw invalidArgument(`invalid port specification: "${b.HostPort}"`);
      }
      out.push({ proto, containerPort, hostIp, hostPort });
    }
  }
  return out;
}

/** Two published ports that would take the same host address and port. */
export function portClash(p: PublishedPort, others: PublishedPort[]): PublishedPort | undefined {
  return others.find((o) => o.proto === p.proto && o.hostPort === p.hostPort && (o.hostIp === p.hostIp || !o.hostIp || !p.hostIp));
}

/** Whether two subnets share an address. */
export const overlaps = (a: Cidr, b: Cidr): boolean => a.base < b.end && b.base < a.end;

/**
 * Docker's default address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. The first
 * that overlaps nothing in use (other networks, the host's routes).
 */
export function chooseSubnet(inUse: Cidr[]): Cidr | undefined {
  const candidates: string[] = [];
  for (let b = 17; b <= 31; b++) candidates.push(`172.${b}.0.0/16`);
  for (let c = 0; c < 256; c += 16) candidates.push(`192.168.${c}.0/20`);
  for (const s of candidates) {
    const cidr = parseCidr(s);
    if (!inUse.some((u) => overlaps(u, cidr))) return cidr;
  }
  return undefined;
}

/** The first address of a subnet: Docker's default gateway. */
export const firstHost = (c: Cidr): string => intToIp(c.base + 1);

/** A bridge network a container can have an address on: the daemon's default bridge or a user-defined one. */
export interface BridgeNetwork {
  name: string;
  id: string;
  bridge: string;
  cidr: Cidr;
  gateway: string;
  mtu: number;
  /** Wharf's own nftables table for this bridge. */
  table: string;
  /** --ip: the host address published ports bind to by default ("" for all). */
  defaultHostIp: string;
  internal: boolean;
  /** --icc=false (the default bridge only, as dockerd's flag). */
  icc?: boolean;
  /** User-defined: the embedded DNS answers names on it. */
  userDefined: boolean;
  /** --ipv6 with an IPv6 subnet: containers get an address there, and a route via its gateway. */
  v6?: { cidr: Cidr6; gateway: string };
  /** --ip-range: where addresses are taken from when none is asked for. */
  range?: Cidr;
  /** --aux-address: addresses never given to a container. */
  reserved?: string[];
}

/** The daemon-wide settings every bridge network shares (dockerd's --mtu and --ip). */
export interface NetworkDefaults {
  mtu: number;
  defaultHostIp: string;
  /** --iptables=false: no firewall rules at all (no nftables table, no FORWARD exception); absent means true. */
  firewall?: boolean;
  /** The daemon's --dns, --dns-search, --dns-opt: each for a container that sets none of its own. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}
