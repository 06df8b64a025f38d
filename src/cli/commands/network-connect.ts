/** `network connect` and `network disconnect`. */
import { endpointSettings } from '../network-flags';
import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { collect, UsageError, type CommandSpec, type IO } from '../command';

export interface NetworkConnectOptions {
  network: string;
  container: string;
  ip: string;
  ip6: string;
  links: string[];
  aliases: string[];
  linkLocalIps: string[];
  driverOpts: string[];
  gwPriority: number;
}

function slice(v: string, acc: string[]): string[] {
  return [...acc, ...v.split(',').filter((s) => s !== '')];
}

/** The EndpointConfig docker sends with POST /networks/{id}/connect. */
export function connectEndpoint(o: NetworkConnectOptions): Record<string, unknown> {
  const driverOpts: Record<string, string> = {};
  for (const kv of o.driverOpts) {
    const i = kv.indexOf('=');
    if (i < 0) throw new Error('invalid key/value pair format in driver options');
    driverOpts[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const ipam: Record<string, unknown> = {};
  if (o.ip) ipam.IPv4Address = o.ip;
  if (o.ip6) ipam.IPv6Address = o.ip6;
  if (o.linkLocalIps.length) ipam.LinkLocalIPs = o.linkLocalIps;
  return endpointSettings({
    IPAMConfig: Object.keys(ipam).length ? ipam : null,
    Links: o.links.length ? o.links : null,
    Aliases: o.aliases.length ? o.aliases : null,
    MacAddress: '',
    DriverOpts: driverOpts,
    GwPriority: o.gwPriority,
  });
}

function twoArgs(a: unknown[], name: string): [string, string] {
  const args = a[0] as string[];
  if (args.length !== 2) throw new UsageError(`'wharf network ${name}' requires 2 arguments`);
  return [args[0], args[1]];
}

export const networkConnect: CommandSpec<NetworkConnectOptions> = {
  name: 'connect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Connect a container to a network',
  declare: (cmd: Command) =>
    cmd
      .argument('[args...]', 'NETWORK CONTAINER')
      .option('--alias <strings>', 'Add network-scoped alias for the container', slice, [] as string[])
      .option('--driver-opt <strings>', 'driver options for the network', slice, [] as string[])
      .option('--gw-priority <int>', 'Highest gw-priority provides the default gateway. Accepts positive and negative values.', (v: string) => Number(v), 0)
      .option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")', '')
      .option('--ip6 <string>', 'IPv6 address (e.g., "2001:db8::33")', '')
      .option('--link <list>', 'Add link to another container', collect, [] as string[])
      .option('--link-local-ip <strings>', 'Add a link-local address for the container', slice, [] as string[]),
  options: (a, f) => {
    const [network, container] = twoArgs(a, 'connect');
    return {
      network,
      container,
      ip: String(f.ip ?? ''),
      ip6: String(f.ip6 ?? ''),
      links: f.link as string[],
      aliases: f.alias as string[],
      linkLocalIps: f.linkLocalIp as string[],
      driverOpts: f.driverOpt as string[],
      gwPriority: Number(f.gwPriority ?? 0),
    };
  },
  run: async (o: NetworkConnectOptions, client: Client) => {
    await client.networkConnect(o.network, o.container, connectEndpoint(o));
    return 0;
  },
};

export interface NetworkDisconnectOptions {
  network: string;
  container: string;
  force: boolean;
}

export const networkDisconnect: CommandSpec<NetworkDisconnectOptions> = {
  name: 'disconnect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Disconnect a container from a network',
  declare: (cmd: Command) => cmd.argument('[args...]', 'NETWORK CONTAINER').option('-f, --force', 'Force the container to disconnect from a network', false),
  options: (a, f) => {
    const [network, container] = twoArgs(a, 'disconnect');
    return { network, container, force: Boolean(f.force) };
  },
  run: async (o: NetworkDisconnectOptions, client: Client, _io: IO) => {
    await client.networkDisconnect(o.network, o.container, o.force);
    return 0;
  },
};
