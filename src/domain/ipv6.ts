import { conflict, invalidArgument } from './errors';

/** IPv6 addresses, subnets and the v6 side of IPAM: pure (addresses as 128-bit bigints). */

const MAX = (1n << 128n) - 1n;

/** An IPv6 address (RFC 4291 text, "::" and a trailing dotted quad allowed) as a bigint, or undefined. */
export function parseIp6(s: string): bigint | undefined {
  if (!s.includes(':') || /[^0-9A-Fa-f:.]/.test(s)) return undefined;
  let text = s;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const b = quad.slice(1).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    text = `${text.slice(0, quad.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  if (text.includes('.')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

export const isIp6 = (s: string): boolean => parseIp6(s) !== undefined;

/** The canonical text (RFC 5952, as Go's net.IP prints it): lower case, the longest run of two or more zero groups as "::". */
export function formatIp6(n: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The bytes of an address (an AAAA record's data). */
export function ip6Bytes(s: string): Buffer {
  const n = parseIp6(s);
  if (n === undefined) throw invalidArgument(`invalid IPv6 address: ${s}`);
  return Buffer.from(n.toString(16).padStart(32, '0'), 'hex');
}

export interface Cidr6 {
  /** As written ("fd00:77:c::1/64" stays so: Docker shows a subnet as it was given). */
  text: string;
  prefix: number;
  /** The network address and the first address past it. */
  base: bigint;
  end: bigint;
}

/** "fd00::/64" → the subnet, or undefined when it is not an IPv6 CIDR. */
export function parseCidr6(s: string): Cidr6 | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  const ip = m ? parseIp6(m[1]) : undefined;
  if (!m || ip === undefined || Number(m[2]) > 128) return undefined;
  const prefix = Number(m[2]);
  const size = 1n << BigInt(128 - prefix);
  const base = ip & (MAX ^ (size - 1n));
  return { text: s, prefix, base, end: base + size };
}

export const subnet6Of = (c: Cidr6): string => `${formatIp6(c.base)}/${c.prefix}`;
export const overlaps6 = (a: Cidr6, b: Cidr6): boolean => a.base < b.end && b.base < a.end;

export function inSubnet6(ip: string, c: Cidr6): boolean {
  const n = parseIp6(ip);
  return n !== undefined && n >= c.base && n < c.end;
}

/** The first address of a subnet: Docker's default IPv6 gateway (fd00:77::1 of fd00:77::/64). */
export const firstHost6 = (c: Cidr6): string => formatIp6(c.base + 1n);

/**
 * The container's IPv6 address: the one asked for (--ip6) when it is free and inside, else
 * the lowest free one above the network address that is not the gateway (Docker's order).
 */
export function allocateIp6(subnet: Cidr6, gateway: string, used: Set<string>, requested?: string): string {
  const gw = parseIp6(gateway);
  const taken = new Set([...used].map((u) => parseIp6(u)));
  if (requested) {
    const r = parseIp6(requested);
    if (r === undefined) throw invalidArgument(`invalid IPv6 address: ${requested}`);
    if (r < subnet.base || r >= subnet.end) throw invalidArgument(`Invalid address ${requested}: It does not belong to any of this network's subnets`);
    if (taken.has(r) || r === gw) throw conflict('Address already in use');
    return formatIp6(r);
  }
  // Sequential from the bottom: at most used.size + 2 candidates are ever looked at.
  for (let n = subnet.base + 1n; n < subnet.end; n++) {
    if (n !== gw && !taken.has(n)) return formatIp6(n);
  }
  throw conflict(`no available IPv6 addresses on this network's address pools: ${subnet6Of(subnet)}`);
}
