import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { forEachRef, UsageError, type CommandSpec, type IO } from '../command';

export interface WaitOptions {
  containers: string[];
}

export function declareWait(cmd: Command): Command {
  return cmd.argument('[containers...]', 'CONTAINER [CONTAINER...]');
}

export async function runWait(o: WaitOptions, client: Client, io: IO): Promise<number> {
  const { code } = await forEachRef(io, o.containers, async (ref) => {
    const w = await client.containerWait(ref);
    const r = await w.result;
    if (r.Error?.Message) throw new Error(r.Error.Message);
    return String(r.StatusCode);
  });
  return code;
}

export const wait: CommandSpec<WaitOptions> = {
  name: 'wait',
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  declare: declareWait,
  options: (a) => {
    const containers = a[0] as string[];
    if (!containers.length) throw new UsageError(`'wharf wait' requires at least 1 argument`);
    return { containers };
  },
  run: runWait,
};
