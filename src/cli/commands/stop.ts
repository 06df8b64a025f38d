import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { forEachRef, int, UsageError, type CommandSpec, type IO } from '../command';

export interface StopOptions {
  containers: string[];
  time?: number;
  signal?: string;
}

export function declareStop(cmd: Command): Command {
  return cmd
    .argument('[containers...]', 'CONTAINER [CONTAINER...]')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .option('-t, --timeout <int>', 'Seconds to wait before killing the container', int);
}

export async function runStop(o: StopOptions, client: Client, io: IO): Promise<number> {
  const { code } = await forEachRef(io, o.containers, async (ref) => {
    await client.containerStop(ref, { timeout: o.time, signal: o.signal });
    return ref;
  });
  return code;
}

export const stop: CommandSpec<StopOptions> = {
  name: 'stop',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Stop one or more running containers',
  declare: declareStop,
  options: (a, f) => {
    const containers = a[0] as string[];
    if (!containers.length) throw new UsageError(`'wharf stop' requires at least 1 argument`);
    return { containers, time: f.timeout as number | undefined, signal: f.signal as string | undefined };
  },
  run: runStop,
};
