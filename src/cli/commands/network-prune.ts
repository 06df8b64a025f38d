import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { collect, confirm, type CommandSpec, type IO } from '../command';
import { parseFilterFlags } from './volume-ls';

export interface NetworkPruneOptions {
  force: boolean;
  filter: string[];
}

export async function runNetworkPrune(o: NetworkPruneOptions, client: Client, io: IO): Promise<number> {
  if (!o.force && !(await confirm(io, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] '))) return 0;
  const r = await client.networkPrune(parseFilterFlags(o.filter));
  const deleted = r.NetworksDeleted ?? [];
  if (deleted.length) io.stdout.write(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
  return 0;
}

export const networkPrune: CommandSpec<NetworkPruneOptions> = {
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove all unused networks',
  declare: (cmd: Command) =>
    cmd
      .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [] as string[])
      .option('-f, --force', 'Do not prompt for confirmation', false),
  options: (_a, f) => ({ force: Boolean(f.force), filter: f.filter as string[] }),
  run: runNetworkPrune,
};
