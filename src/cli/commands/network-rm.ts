import type { Command } from 'commander';
import { ClientError, type Client } from '../../client/client';
import { forEachRef, UsageError, type CommandSpec, type IO } from '../command';

export interface NetworkRmOptions {
  networks: string[];
  force: boolean;
}

export async function runNetworkRm(o: NetworkRmOptions, client: Client, io: IO): Promise<number> {
  const { code } = await forEachRef(io, o.networks, async (name) => {
    try {
      await client.networkRemove(name);
    } catch (e) {
      // -f: a network that does not exist is no error.
      if (o.force && e instanceof ClientError && e.status === 404) return undefined;
      throw e;
    }
    return name;
  });
  // As docker: after the errors, the status error's own text.
  if (code !== 0) io.stderr.write('exit status 1\n');
  return code;
}

export const networkRm: CommandSpec<NetworkRmOptions> = {
  name: 'rm',
  aliases: ['remove'],
  usage: 'NETWORK [NETWORK...]',
  description: 'Remove one or more networks',
  declare: (cmd: Command) => cmd.argument('[networks...]', 'NETWORK [NETWORK...]').option('-f, --force', 'Do not error if the network does not exist', false),
  options: (a, f) => {
    const networks = a[0] as string[];
    if (!networks.length) throw new UsageError(`'wharf network rm' requires at least 1 argument`);
    return { networks, force: Boolean(f.force) };
  },
  run: runNetworkRm,
};
