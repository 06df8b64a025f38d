import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { forEachRef, UsageError, type CommandSpec, type IO } from '../command';

export interface VolumeRmOptions {
  volumes: string[];
  force: boolean;
}

export async function runVolumeRm(o: VolumeRmOptions, client: Client, io: IO): Promise<number> {
  const { code } = await forEachRef(io, o.volumes, async (name) => {
    await client.volumeRemove(name, o.force);
    return name;
  });
  return code;
}

export const volumeRm: CommandSpec<VolumeRmOptions> = {
  name: 'rm',
  aliases: ['remove'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Remove one or more volumes',
  declare: (cmd: Command) => cmd.argument('[volumes...]', 'VOLUME [VOLUME...]').option('-f, --force', 'Force the removal of one or more volumes', false),
  options: (a, f) => {
    const volumes = a[0] as string[];
    if (!volumes.length) throw new UsageError(`'wharf volume rm' requires at least 1 argument`);
    return { volumes, force: Boolean(f.force) };
  },
  run: runVolumeRm,
};
