import { conflict, invalidArgument, WharfError } from './errors';
import type { NetworkCreated, WharfEvent } from './events';
import { chooseSubnet, firstHost, inSubnet, ipToInt, overlaps, parseCidr, subnetOf, type Cidr } from './network';

/** A user-defined network, as the journal says (docker network create). */
export type NetworkView = NetworkCreated['data'];

export function evolveNetworks(networks: Map<string, NetworkView>, e: WharfEvent): void {
  if (e.type === 'network.created') networks.set(e.data.id, e.data);
  else if (e.type === 'network.removed') networks.delete(e.data.id);
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
  IPAM?: { Driver?: string; Options?: Record<string, string> | null; Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null } | null;
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
  existing: { name: string; subnet?: string; bridge?: string }[],
  hostRoutes: Cidr[],
): NetworkCreated {
  const name = req.Name ?? '';
  // Any other name is taken, as dockerd takes it ("test 01", "a/b"): it names no host object.
  if (!name) throw invalidArgument('invalid name: ');
  if (existing.some((n) => n.name === name)) throw conflict(`network with name ${name} already exists`);
  const driver = req.Driver || 'bridge';
  if (driver !== 'bridge') throw notFoundPlugin(driver);
  if (req.EnableIPv6) throw invalidArgument('IPv6 networks are not supported');
  const ipamOptions = req.IPAM?.Options ?? undefined;
  // The default IPAM driver of wharfd takes no options: an empty map is kept (inspect shows it), others refused.
  for (const k of Object.keys(ipamOptions ?? {})) throw invalidArgument(`IPAM option ${k} is not supported by the default IPAM driver of wharfd`);
  const configs = req.IPAM?.Config ?? [];
  if (configs.length > 1) throw invalidArgument('only one IPv4 subnet per network is supported');
  const cfg = configs[0] ?? {};
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
    },
  };
}

function notFoundPlugin(driver: string): WharfError {
  return new WharfError('not-found', `plugin "${driver}" not found`);
}
