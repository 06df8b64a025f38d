import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { UsageError, type CommandSpec, type IO } from '../command';
import { inspectEach } from './image-inspect';

export interface NetworkInspectOptions {
  networks: string[];
  format?: string;
}

export function runNetworkInspect(o: NetworkInspectOptions, client: Client, io: IO): Promise<number> {
  return inspectEach(io, o.networks, o.format, (name) => client.networkInspectRaw(name));
}

export const networkInspect: CommandSpec<NetworkInspectOptions> = {
  name: 'inspect',
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  description: 'Display detailed information on one or more networks',
  declare: (cmd: Command) =>
    cmd
      .argument('[networks...]', 'NETWORK [NETWORK...]')
      .option('-f, --format <string>', 'Format output using a custom template')
      .option('-v, --verbose', 'Verbose output for diagnostics', false),
  options: (a, f) => {
    const networks = a[0] as string[];
    if (!networks.length) throw new UsageError(`'wharf network inspect' requires at least 1 argument`);
    return { networks, format: f.format as string | undefined };
  },
  run: runNetworkInspect,
};
