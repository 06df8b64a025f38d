import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { forEachRef, UsageError, type CommandSpec, type IO } from '../command';

export interface RmOptions {
  containers: string[];
  force: boolean;
  volumes: boolean;
  /** --link: remove the named link (<parent>/<alias>), not a container. */
  link: boolean;
}

export function declareRm(cmd: Command): Command {
  return cmd
    .argument('[containers...]', 'CONTAINER [CONTAINER...]')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)', false)
    .option('-l, --link', 'Remove the specified link', false)
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container', false);
}

export async function runRm(o: RmOptions, client: Client, io: IO): Promise<number> {
  const { code } = await forEachRef(io, o.containers, async (ref) => {
    // docker's CLI trims the slashes of a link's name.
    await client.containerRemove(o.link ? ref.replace(/^\/+|\/+$/g, '') : ref, { force: o.force, volumes: o.volumes, link: o.link });
    return ref;
  });
  return code;
}

export const rm: CommandSpec<RmOptions> = {
  name: 'rm',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  declare: declareRm,
  options: (a, f) => {
    const containers = a[0] as string[];
    if (!containers.length) throw new UsageError(`'wharf rm' requires at least 1 argument`);
    return { containers, force: Boolean(f.force), volumes: Boolean(f.volumes), link: Boolean(f.link) };
  },
  run: runRm,
};
