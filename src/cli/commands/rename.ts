import type { Client } from '../../client/client';
import { printError, PROG, UsageError, type CommandSpec, type IO } from '../command';

export interface RenameOptions {
  container: string;
  newName: string;
}

export const rename: CommandSpec<RenameOptions> = {
  name: 'rename',
  usage: 'CONTAINER NEW_NAME',
  description: 'Rename a container',
  declare: (cmd) => cmd.argument('[container]', 'CONTAINER').argument('[newName]', 'NEW_NAME'),
  options: (a) => {
    if (a[0] === undefined || a[1] === undefined) throw new UsageError(`'${PROG} rename' requires exactly 2 arguments`);
    return { container: a[0] as string, newName: a[1] as string };
  },
  run: async (o: RenameOptions, client: Client, io: IO) => {
    try {
      await client.containerRename(o.container, o.newName);
      return 0;
    } catch (e) {
      printError(io, e);
      return 1;
    }
  },
};
