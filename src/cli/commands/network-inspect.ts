import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { printError, UsageError, type CommandSpec, type IO } from '../command';
import { printInspect } from './image-inspect';

export interface NetworkInspectOptions {
  networks: string[];
  format?: string;
}

export async function runNetworkInspect(o: NetworkInspectOptions, client: Client, io: IO): Promise<number> {
  const raws: string[] = [];
  const errors: unknown[] = [];
  for (const name of o.networks) {
    try {
      raws.push(await client.networkInspectRaw(name));
    } catch (e) {
      errors.push(e);
    }
  }
  printInspect(io, raws, o.format);
  for (const e of errors) printError(io, e);
  return errors.length ? 1 : 0;
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
