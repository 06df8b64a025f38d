import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { forEachRef, UsageError, type CommandSpec, type IO } from '../command';

export interface RmiOptions {
  images: string[];
  force: boolean;
  noPrune: boolean;
}

export function declareRmi(cmd: Command): Command {
  return cmd
    .argument('[images...]', 'IMAGE [IMAGE...]')
    .option('-f, --force', 'Force removal of the image', false)
    .option('--no-prune', 'Do not delete untagged parents');
}

export async function runRmi(opts: RmiOptions, client: Client, io: IO): Promise<number> {
  const { code } = await forEachRef(io, opts.images, async (ref) => {
    const items = await client.imageRemove(ref, { force: opts.force, noprune: opts.noPrune });
    const out = (items ?? []).map((d) => (d.Untagged ? `Untagged: ${d.Untagged}` : `Deleted: ${d.Deleted}`));
    return out.length ? out.join('\n') : undefined;
  });
  return code;
}

export const rmi: CommandSpec<RmiOptions> = {
  name: 'rmi',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  declare: declareRmi,
  options: (a, f) => {
    const images = a[0] as string[];
    if (!images.length) throw new UsageError(`'wharf rmi' requires at least 1 argument`);
    return { images, force: Boolean(f.force), noPrune: f.prune === false };
  },
  run: runRmi,
};
