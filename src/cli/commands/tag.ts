import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { UsageError, type CommandSpec, type IO } from '../command';
import { splitRepoTag, validateReference } from '../reference';

export interface TagOptions {
  source: string;
  target: string;
}

export function declareTag(cmd: Command): Command {
  return cmd.argument('[source]', 'SOURCE_IMAGE[:TAG]').argument('[target]', 'TARGET_IMAGE[:TAG]');
}

export async function runTag(opts: TagOptions, client: Client, _io: IO): Promise<number> {
  validateReference(opts.target);
  const { repo, tag } = splitRepoTag(opts.target);
  await client.imageTag(opts.source, repo, tag ?? 'latest');
  return 0;
}

export const tag: CommandSpec<TagOptions> = {
  name: 'tag',
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  declare: declareTag,
  options: (a) => {
    if (a[0] === undefined || a[1] === undefined) throw new UsageError(`'wharf tag' requires 2 arguments`);
    return { source: a[0] as string, target: a[1] as string };
  },
  run: runTag,
};
