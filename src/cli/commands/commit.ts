import { collect, printError, PROG, UsageError, type CommandSpec } from '../command';
import { splitRepoTag } from '../reference';

export interface CommitOptions {
  container: string;
  reference?: string;
  message?: string;
  author?: string;
  change: string[];
  pause: boolean;
}

export const commit: CommandSpec<CommitOptions> = {
  name: 'commit',
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  declare: (cmd) =>
    cmd
      .argument('[container]', 'CONTAINER')
      .argument('[reference]', 'REPOSITORY[:TAG]')
      .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
      .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [] as string[])
      .option('-m, --message <string>', 'Commit message')
      .option('-p, --pause', 'Pause container during commit', true)
      .option('--no-pause', 'Do not pause the container during commit'),
  options: (a, f) => {
    if (a[0] === undefined) throw new UsageError(`'${PROG} commit' requires at least 1 and at most 2 arguments`);
    return { container: a[0] as string, reference: a[1] as string | undefined, message: f.message as string | undefined, author: f.author as string | undefined, change: f.change as string[], pause: f.pause !== false };
  },
  run: async (o, client, io) => {
    try {
      const ref = o.reference ? splitRepoTag(o.reference) : undefined;
      const r = await client.containerCommit(o.container, { repo: ref?.repo, tag: ref?.tag, comment: o.message, author: o.author, changes: o.change, pause: o.pause });
      io.stdout.write(`${r.Id}\n`);
      return 0;
    } catch (e) {
      printError(io, e);
      return 1;
    }
  },
};
