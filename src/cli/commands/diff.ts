import { printError, PROG, UsageError, type CommandSpec } from '../command';

const KIND = ['C', 'A', 'D'];

export const diff: CommandSpec<{ container: string }> = {
  name: 'diff',
  usage: 'CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  declare: (cmd) => cmd.argument('[container]', 'CONTAINER'),
  options: (a) => {
    if (a[0] === undefined) throw new UsageError(`'${PROG} diff' requires exactly 1 argument`);
    return { container: a[0] as string };
  },
  run: async (o, client, io) => {
    try {
      for (const c of (await client.containerChanges(o.container)) ?? []) io.stdout.write(`${KIND[c.Kind] ?? '?'} ${c.Path}\n`);
      return 0;
    } catch (e) {
      printError(io, e);
      return 1;
    }
  },
};
