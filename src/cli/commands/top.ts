import { printError, PROG, UsageError, type CommandSpec } from '../command';
import { table } from '../format';

/** docker top CONTAINER [ps OPTIONS]: the daemon runs ps; the CLI prints its table. */
export const top: CommandSpec<{ container: string; psArgs: string[] }> = {
  name: 'top',
  usage: 'CONTAINER [ps OPTIONS]',
  description: 'Display the running processes of a container',
  declare: (cmd) => cmd.argument('[container]', 'CONTAINER').argument('[psArgs...]', 'ps OPTIONS').allowUnknownOption(),
  options: (a) => {
    if (a[0] === undefined) throw new UsageError(`'${PROG} top' requires at least 1 argument`);
    return { container: a[0] as string, psArgs: (a[1] as string[]) ?? [] };
  },
  run: async (o, client, io) => {
    try {
      const t = await client.containerTop(o.container, o.psArgs.length ? o.psArgs.join(' ') : undefined);
      io.stdout.write(table([t.Titles, ...t.Processes], { minWidth: 20, padding: 3 }));
      return 0;
    } catch (e) {
      printError(io, e);
      return 1;
    }
  },
};
