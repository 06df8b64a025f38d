import type { Command } from 'commander';
import { isIPv4 } from 'node:net';
import type { Client } from '../../client/client';
import { collect, UsageError, type CommandSpec, type IO } from '../command';
import { labelMap } from './container-config';

export interface NetworkCreateOptions {
  name: string;
  driver: string;
  opt: string[];
  label: string[];
  internal: boolean;
  attachable: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  ipamDriver: string;
  ipamOpt: string[];
  subnet: string[];
  ipRange: string[];
  gateway: string[];
  auxAddress: string[];
}

/** A comma-separated, repeatable flag (pflag's StringSlice). */
function slice(v: string, acc: string[]): string[] {
  return [...acc, ...v.split(',').filter((s) => s !== '')];
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

/** Whether addr (an address, or a CIDR's base) lies in the subnet; IPv6 is taken as in any IPv6 subnet. */
function inSubnet(addr: string, subnet: string): boolean {
  const [base, bits] = subnet.split('/');
  const ip = addr.split('/')[0];
  if (isIPv4(base) !== isIPv4(ip)) return false;
  if (!isIPv4(ip)) return true;
  const n = Number(bits);
  const mask = n === 0 ? 0 : 2 ** 32 - 2 ** (32 - n);
  return Math.floor(ipv4ToInt(ip) / 2 ** (32 - n)) === Math.floor(ipv4ToInt(base) / 2 ** (32 - n)) && mask >= 0;
}

/** docker's createIPAMConfig: each --ip-range, --gateway and --aux-address joins the --subnet that holds it. */
export function ipamConfig(o: Pick<NetworkCreateOptions, 'subnet' | 'ipRange' | 'gateway' | 'auxAddress'>): Record<string, unknown>[] {
  if (o.subnet.length < o.ipRange.length || o.subnet.length < o.gateway.length) throw new Error('every ip-range or gateway must have a corresponding subnet');
  const configs = o.subnet.map((s) => ({ Subnet: s }) as Record<string, unknown>);
  const holder = (a: string) => configs.find((c) => inSubnet(a, c.Subnet as string));
  for (const r of o.ipRange) {
    const c = holder(r);
    if (!c) throw new Error(`no matching subnet for range ${r}`);
    if (c.IPRange) throw new Error(`cannot configure multiple ranges (${r}, ${c.IPRange}) on the same subnet (${c.Subnet})`);
    c.IPRange = r;
  }
  for (const g of o.gateway) {
    const c = holder(g);
    if (!c) throw new Error(`no matching subnet for gateway ${g}`);
    if (c.Gateway) throw new Error(`cannot configure multiple gateways (${g}, ${c.Gateway}) for the same subnet (${c.Subnet})`);
    c.Gateway = g;
  }
  for (const kv of o.auxAddress) {
    const i = kv.indexOf('=');
    const [k, a] = i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
    const c = holder(a);
    if (!c) throw new Error(`no matching subnet for aux-address ${a}`);
    c.AuxiliaryAddresses = { ...((c.AuxiliaryAddresses as Record<string, string>) ?? {}), [k]: a };
  }
  return configs;
}

/** The POST /networks/create body the docker CLI sends. */
export function networkCreateBody(o: NetworkCreateOptions): Record<string, unknown> {
  return {
    Driver: o.driver,
    Scope: '',
    ...(o.ipv4 !== undefined ? { EnableIPv4: o.ipv4 } : {}),
    ...(o.ipv6 !== undefined ? { EnableIPv6: o.ipv6 } : {}),
    IPAM: { Driver: o.ipamDriver, Options: labelMap(o.ipamOpt), Config: ipamConfig(o) },
    Internal: o.internal,
    Attachable: o.attachable,
    Ingress: false,
    ConfigOnly: false,
    ConfigFrom: null,
    Options: labelMap(o.opt),
    Labels: labelMap(o.label),
    Name: o.name,
  };
}

export async function runNetworkCreate(o: NetworkCreateOptions, client: Client, io: IO): Promise<number> {
  const r = await client.networkCreate(networkCreateBody(o));
  if (r.Warning) io.stderr.write(`${r.Warning}\n`);
  io.stdout.write(`${r.Id}\n`);
  return 0;
}

function bool(v: string): boolean {
  return !['false', '0', 'f', 'F', 'FALSE', 'False'].includes(v);
}

export const networkCreate: CommandSpec<NetworkCreateOptions> = {
  name: 'create',
  usage: '[OPTIONS] NETWORK',
  description: 'Create a network',
  declare: (cmd: Command) =>
    cmd
      .argument('[network...]', 'NETWORK')
      .option('--attachable', 'Enable manual container attachment', false)
      .option('--aux-address <map>', 'Auxiliary IPv4 or IPv6 addresses used by Network driver', collect, [] as string[])
      .option('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
      .option('--gateway <strings>', 'IPv4 or IPv6 Gateway for the master subnet', slice, [] as string[])
      .option('--internal', 'Restrict external access to the network', false)
      .option('--ip-range <strings>', 'Allocate container ip from a sub-range', slice, [] as string[])
      .option('--ipam-driver <string>', 'IP Address Management Driver', 'default')
      .option('--ipam-opt <map>', 'Set IPAM driver specific options', collect, [] as string[])
      .option('--ipv4 [bool]', 'Enable or disable IPv4 address assignment', bool)
      .option('--ipv6 [bool]', 'Enable or disable IPv6 address assignment', bool)
      .option('--label <list>', 'Set metadata on a network', collect, [] as string[])
      .option('-o, --opt <map>', 'Set driver specific options', collect, [] as string[])
      .option('--subnet <strings>', 'Subnet in CIDR format that represents a network segment', slice, [] as string[]),
  options: (a, f) => {
    const names = a[0] as string[];
    if (names.length !== 1) throw new UsageError(`'wharf network create' requires 1 argument`);
    return {
      name: names[0],
      driver: String(f.driver),
      opt: f.opt as string[],
      label: f.label as string[],
      internal: Boolean(f.internal),
      attachable: Boolean(f.attachable),
      ipv4: f.ipv4 === undefined ? undefined : f.ipv4 !== false,
      ipv6: f.ipv6 === undefined ? undefined : f.ipv6 !== false,
      ipamDriver: String(f.ipamDriver),
      ipamOpt: f.ipamOpt as string[],
      subnet: f.subnet as string[],
      ipRange: f.ipRange as string[],
      gateway: f.gateway as string[],
      auxAddress: f.auxAddress as string[],
    };
  },
  run: runNetworkCreate,
};
