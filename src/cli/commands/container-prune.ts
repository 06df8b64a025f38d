import { collect, confirm, printError, type CommandSpec } from '../command';
import { humanSize } from '../format';
import { parseFilterFlags } from './volume-ls';

export const containerPrune: CommandSpec<{ force: boolean; filter: string[] }> = {
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove all stopped containers',
  declare: (cmd) =>
    cmd
      .option('--filter <filter>', "Provide filter values (e.g. 'until=<timestamp>')", collect, [] as string[])
      .option('-f, --force', 'Do not prompt for confirmation', false),
  options: (_a, f) => ({ force: Boolean(f.force), filter: f.filter as string[] }),
  run: async (o, client, io) => {
    if (!o.force && !(await confirm(io, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return 0;
    try {
      const r = await client.containerPrune(parseFilterFlags(o.filter));
      const deleted = r.ContainersDeleted ?? [];
      if (deleted.length) io.stdout.write(`Deleted Containers:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
      io.stdout.write(`Total reclaimed space: ${humanSize(r.SpaceReclaimed ?? 0, 4)}\n`);
      return 0;
    } catch (e) {
      printError(io, e);
      return 1;
    }
  },
};
