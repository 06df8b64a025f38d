import { conflict, invalidArgument, WharfError } from './errors';
import type { NetworkCreated, WharfEvent } from './events';
import { firstHost6, inSubnet6, isIp6, overlaps6, parseCidr6, type Cidr6 } from './ipv6';
import { chooseSubnet, firstHost, inSubnet, ipToInt, overlaps, parseCidr, subnetOf, type Cidr } from './network';

/** A user-defined network, as the journal says (docker network create). */
export type NetworkView = NetworkCreated['data'];

/** The name Wharf gives the bridge of a network that names none: br-<12 hex of the id>. */
export const WHARF_BRIDGE_NAME = /^br-[0-9a-f]{12}$/;

/**
 * Whether Wharf made the network's bridge (and may remove it): as recorded, or, in a journal
 * written before that was recorded, only when the name is Wharf's own pattern.
 */
export function wharfMadeBridge(v: Pick<NetworkView, 'bridge' | 'createdBridge'>): boolean {
  return v.createdBridge ?? WHARF_BRIDGE_NAME.test(v.bridge);
}

/**
 * Whether the network's nftables table is Wharf's own to delete: always, since the fact records
 * who made the bridge (a create refuses a bridge whose table exists); in older journals only
 * for a bridge of Wharf's own pattern (another engine's table may carry the name).
 */
export function wharfMadeTable(v: Pick<NetworkView, 'bridge' | 'createdBridge'>): boolean {
  return v.createdBridge !== undefined || WHARF_BRIDGE_NAME.test(v.bridge);
}

/** The names Docker reserves for its predefined networks. */
export const PREDEFINED = ['bridge', 'host', 'none'];

/** What `docker network create` asks for (POST /networks/create). */
export interface CreateNetworkRequest {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Options?: Record<string, string> | null; Config?: { Subnet?: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> | null }[] | null } | null;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
}

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

/**
 * Check a create request against the networks that exist and the subnets in use (networks
 * and the host's routes): the network.created fact, or Docker's refusal.
 */
export function decideCreateNetwork(
  req: CreateNetworkRequest,
  id: string,
  created: string,
  existing: { name: string; subnet?: string; subnet6?: string; bridge?: string }[],
  hostRoutes: Cidr[],
): NetworkCreated {
  const name = req.Name ?? '';
  // Any other name is taken, as dockerd takes it ("test 01", "a/b"): it names no host object.
  if (!name) throw invalidArgument('invalid name: ');
  if (existing.some((n) => n.name === name)) throw conflict(`network with name ${name} already exists`);
  const driver = req.Driver || 'bridge';
  if (driver !== 'bridge') throw notFoundPlugin(driver);
  const ipamOptions = req.IPAM?.Options ?? undefined;
  // The default IPAM driver of wharfd takes no options: an empty map is kept (inspect shows it), others refused.
  for (const k of Object.keys(ipamOptions ?? {})) throw invalidArgument(`IPAM option ${k} is not supported by the default IPAM driver of wharfd`);
  const configs = req.IPAM?.Config ?? [];
  // An entry is IPv6 by its subnet (or, without one, by its gateway), as libnetwork sorts them.
  const isV6 = (c: { Subnet?: string; Gateway?: string }) => (c.Subnet ? c.Subnet.includes(':') : !!c.Gateway?.includes(':'));
  const v4 = configs.filter((c) => !isV6(c));
  const v6 = configs.filter(isV6);
  if (v4.length > 1 || v6.length > 1) throw forbidden("bridge driver doesn't support multiple subnets");
  // A range or reserved addresses of the IPv6 subnet: not applied there, so refused.
  if (v6[0]?.IPRange || Object.keys(v6[0]?.AuxiliaryAddresses ?? {}).length) throw invalidArgument('IPRange and AuxiliaryAddresses of an IPv6 subnet are not supported by wharfd');
  const ipv6 = v6[0] ? decideIpv6(v6[0], existing) : undefined;
  // dockerd 20.10 has no default IPv6 pool: --ipv6 needs a subnet. A v6 subnet without it is
  // kept and listed, and nothing gets an IPv6 address (Docker's behaviour, measured).
  if (req.EnableIPv6 && !ipv6) throw new WharfError('not-found', 'could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
  const cfg = v4[0] ?? {};
  const taken = existing.filter((n) => n.subnet).map((n) => parseCidr(n.subnet!));
  let cidr: Cidr;
  if (cfg.Subnet) {
    try {
      cidr = parseCidr(cfg.Subnet);
    } catch {
      throw invalidArgument(`invalid subnet ${cfg.Subnet}: invalid CIDR address: ${cfg.Subnet}`);
    }
    if (cidr.prefix > 30) throw invalidArgument(`invalid subnet ${cfg.Subnet}: too small`);
    if (taken.some((t) => overlaps(t, cidr))) throw new WharfError('forbidden', 'invalid pool request: Pool overlaps with other one on this address space');
  } else {
    if (cfg.Gateway) throw invalidArgument(`invalid gateway address ${cfg.Gateway}: it must be accompanied by a subnet`);
    const chosen = chooseSubnet([...taken, ...hostRoutes]);
    if (!chosen) throw invalidArgument('all predefined address pools have been fully subnetted');
    cidr = chosen;
  }
  let gateway = firstHost(cidr);
  if (cfg.Gateway) {
    try {
      ipToInt(cfg.Gateway);
    } catch {
      throw invalidArgument(`invalid gateway address ${cfg.Gateway}`);
    }
    if (!inSubnet(cfg.Gateway, cidr)) throw invalidArgument(`no matching subnet for gateway ${cfg.Gateway}`);
    gateway = cfg.Gateway;
  }
  const options = { ...(req.Options ?? {}) };
  const bridge = options[BRIDGE_NAME_OPTION] || `br-${id.slice(0, 12)}`;
  if (bridge.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(bridge)) throw invalidArgument(`invalid bridge name ${bridge}`);
  if (existing.some((n) => n.bridge === bridge)) throw conflict(`bridge ${bridge} is already used by another network`);
  return {
    type: 'network.created',
    data: {
      id,
      name,
      driver: 'bridge',
      created,
      bridge,
      subnet: subnetOf(cidr),
      gateway,
      internal: !!req.Internal,
      attachable: !!req.Attachable,
      labels: { ...(req.Labels ?? {}) },
      options,
      ...(ipamOptions ? { ipamOptions: {} } : {}),
      ...(req.EnableIPv6 ? { enableIPv6: true } : {}),
      ...(ipv6 ? { subnet6: ipv6.subnet, ...(ipv6.gateway ? { gateway6: ipv6.gateway } : {}) } : {}),
      ...rangeAndAux(cfg, cidr),
    },
  };
}

/**
 * IPRange and AuxiliaryAddresses of the IPv4 entry, with the docker CLI's words (it checks
 * them before dockerd does): a range that meets no subnet, an address outside it.
 */
function rangeAndAux(cfg: { IPRange?: string; AuxiliaryAddresses?: Record<string, string> | null }, subnet: Cidr): { ipRange?: string; auxAddresses?: Record<string, string> } {
  const out: { ipRange?: string; auxAddresses?: Record<string, string> } = {};
  if (cfg.IPRange) {
    let range: Cidr;
    try {
      range = parseCidr(cfg.IPRange);
    } catch {
      throw invalidArgument(`invalid CIDR address: ${cfg.IPRange}`);
    }
    if (!overlaps(range, subnet)) throw invalidArgument(`no matching subnet for range ${cfg.IPRange}`);
    out.ipRange = subnetOf(range);
  }
  const aux = Object.entries(cfg.AuxiliaryAddresses ?? {});
  for (const [, ip] of aux) {
    let inside = false;
    try {
      inside = inSubnet(ip, subnet);
    } catch {
      throw invalidArgument(`invalid aux-address ${ip}`);
    }
    if (!inside) throw invalidArgument(`no matching subnet for aux-address ${ip}`);
  }
  if (aux.length) out.auxAddresses = Object.fromEntries(aux);
  return out;
}

/** The IPv6 entry of IPAM.Config, checked with dockerd 20.10's words: its subnet as given, its gateway if one was. */
function decideIpv6(c: { Subnet?: string; Gateway?: string }, existing: { subnet6?: string }[]): { subnet: string; gateway?: string } {
  const subnet = c.Subnet ?? '';
  const cidr = parseCidr6(subnet);
  if (!cidr) throw invalidArgument(`Invalid subnet ${subnet} : invalid CIDR address: ${subnet}`);
  if (cidr.prefix > 127) throw invalidArgument(`Invalid subnet ${subnet} : no room for a gateway and an address`);
  const taken = existing.flatMap((n) => (n.subnet6 ? [parseCidr6(n.subnet6)] : [])).filter((x): x is Cidr6 => !!x);
  if (taken.some((t) => overlaps6(t, cidr))) throw forbidden('Pool overlaps with other one on this address space');
  if (c.Gateway) {
    if (!isIp6(c.Gateway) && !/^\d+\.\d+\.\d+\.\d+$/.test(c.Gateway)) throw invalidArgument(`invalid gateway address ${c.Gateway} in Ipam configuration`);
    if (!inSubnet6(c.Gateway, cidr)) throw invalidArgument(`failed to allocate gateway (${c.Gateway}): Requested address is out of range`);
  }
  return { subnet, ...(c.Gateway ? { gateway: c.Gateway } : {}) };
}

/** The gateway of a network's IPv6 subnet: the one given, else the subnet's first address. */
export function gateway6Of(v: Pick<NetworkView, 'subnet6' | 'gateway6'>): string | undefined {
  if (!v.subnet6) return undefined;
  return v.gateway6 ?? firstHost6(parseCidr6(v.subnet6)!);
}

const forbidden = (msg: string) => new WharfError('forbidden', msg);

function notFoundPlugin(driver: string): WharfError {
  return new WharfError('not-found', `plugin "${driver}" not found`);
}

/** docker network rm: refused for the predefined networks and a network with active endpoints; else network.removed. */
export function decideRemoveNetwork(n: { id: string; name: string; predefined?: boolean }, activeEndpoints: number): WharfEvent[] {
  if (n.predefined) throw new WharfError('forbidden', `${n.name} is a pre-defined network and cannot be removed`);
  if (activeEndpoints) throw conflict(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
  return [{ type: 'network.removed', data: { id: n.id, name: n.name } }];
}
