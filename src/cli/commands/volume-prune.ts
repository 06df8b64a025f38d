import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { collect, type CommandSpec, type IO } from '../command';
import { humanSize } from '../format';
import { parseFilterFlags } from './volume-ls';

export interface VolumePruneOptions {
  all: boolean;
  force: boolean;
  filter: string[];
}

/** Read one line of an answer from stdin (y/Y/yes confirms), as docker's prompt does. */
export async function confirm(io: IO, question: string): Promise<boolean> {
  io.stdout.write(question);
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) done();
    };
    const done = () => {
      io.stdin.off('data', onData);
      io.stdin.off('end', done);
      io.stdin.pause();
      resolve(buf.split('\n')[0]);
    };
    io.stdin.on('data', onData);
    io.stdin.once('end', done);
    io.stdin.resume();
  });
  return /^(y|yes)$/i.test(line.trim());
}

export async function runVolumePrune(o: VolumePruneOptions, client: Client, io: IO): Promise<number> {
  const filters = parseFilterFlags(o.filter);
  if (o.all) filters.all = ['true'];
  if (!o.force) {
    const what = o.all ? 'all local volumes' : 'anonymous local volumes';
    if (!(await confirm(io, `WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue? [y/N] `))) return 0;
  }
  const r = await client.volumePrune(filters);
  const deleted = r.VolumesDeleted ?? [];
  if (deleted.length) io.stdout.write(`Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
  io.stdout.write(`Total reclaimed space: ${humanSize(deleted.length ? r.SpaceReclaimed : 0, 4)}\n`);
  return 0;
}

export const volumePrune: CommandSpec<VolumePruneOptions> = {
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove unused local volumes',
  declare: (cmd: Command) =>
    cmd
      .option('-a, --all', 'Remove all unused volumes, not just anonymous ones', false)
      .option('--filter <filter>', "Provide filter values (e.g. 'label=<label>')", collect, [] as string[])
      .option('-f, --force', 'Do not prompt for confirmation', false),
  options: (_a, f) => ({ all: Boolean(f.all), force: Boolean(f.force), filter: f.filter as string[] }),
  run: runVolumePrune,
};
