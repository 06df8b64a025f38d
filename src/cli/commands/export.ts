import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { printError, PROG, UsageError, type CommandSpec } from '../command';

/** docker export: the container's filesystem as a tar, to -o FILE or a redirected stdout. */
export const exportCmd: CommandSpec<{ container: string; output?: string }> = {
  name: 'export',
  usage: '[OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  declare: (cmd) => cmd.argument('[container]', 'CONTAINER').option('-o, --output <string>', 'Write to a file, instead of STDOUT'),
  options: (a, f) => {
    if (a[0] === undefined) throw new UsageError(`'${PROG} export' requires exactly 1 argument`);
    return { container: a[0] as string, output: f.output as string | undefined };
  },
  run: async (o, client, io) => {
    if (!o.output && io.stdout.isTTY) {
      io.stderr.write('cowardly refusing to save to a terminal. Use the -o flag or redirect\n');
      return 1;
    }
    try {
      const res = await client.containerExport(o.container);
      await pipeline(res, o.output ? createWriteStream(o.output) : io.stdout);
      return 0;
    } catch (e) {
      printError(io, e);
      return 1;
    }
  },
};
