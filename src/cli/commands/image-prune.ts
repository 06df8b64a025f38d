import { collect, confirm, printError, type CommandSpec } from '../command';
import { humanSize4 } from '../json-progress';
import { parseFilterFlags } from './volume-ls';

const ALL_WARNING = 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] ';
const DANGLING_WARNING = 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ';

/** docker image prune: dangling images, or with -a every image no container uses. */
export const imagePrune: CommandSpec<{ force: boolean; all: boolean; filter: string[] }> = {
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove unused images',
  declare: (cmd) =>
    cmd
      .option('-a, --all', 'Remove all unused images, not just dangling ones', false)
      .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [] as string[])
      .option('-f, --force', 'Do not prompt for confirmation', false),
  options: (_a, f) => ({ force: Boolean(f.force), all: Boolean(f.all), filter: f.filter as string[] }),
  run: async (o, client, io) => {
    try {
      const filters = parseFilterFlags(o.filter);
      (filters.dangling ??= []).push(String(!o.all));
      // A "no" is a cancellation: nothing more is printed and the exit code is 0.
      if (!o.force && !(await confirm(io, o.all ? ALL_WARNING : DANGLING_WARNING))) return 0;
      const r = await client.imagePrune(filters);
      const deleted = r.ImagesDeleted ?? [];
      let reclaimed = 0;
      if (deleted.length) {
        io.stdout.write(`Deleted Images:\n${deleted.map((d) => (d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`)).join('')}\n`);
        reclaimed = r.SpaceReclaimed ?? 0;
      }
      io.stdout.write(`Total reclaimed space: ${humanSize4(reclaimed)}\n`);
      return 0;
    } catch (e) {
      printError(io, e);
      return 1;
    }
  },
};
