import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { forEachRef, UsageError, type CommandSpec, type IO } from '../command';

export interface KillOptions {
  containers: string[];
  signal?: string;
}

export function declareKill(cmd: Command): Command {
  return cmd.argument('[containers...]', 'CONTAINER [CONTAINER...]').option('-s, --signal <string>', 'Signal to send to the container');
}

export async function runKill(o: KillOptions, client: Client, io: IO): Promise<number> {
  const { code } = await forEachRef(io, o.containers, async (ref) => {
    await client.containerKill(ref, o.signal);
    return ref;
  });
  return code;
}

export const kill: CommandSpec<KillOptions> = {
  name: 'kill',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers',
  declare: declareKill,
  options: (a, f) => {
    const containers = a[0] as string[];
    if (!containers.length) throw new UsageError(`'wharf kill' requires at least 1 argument`);
    return { containers, signal: f.signal as string | undefined };
  },
  run: runKill,
};
