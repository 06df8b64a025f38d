import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { printError, UsageError, type CommandSpec, type IO } from '../command';
import { printInspect } from './image-inspect';

export interface VolumeInspectOptions {
  volumes: string[];
  format?: string;
}

export async function runVolumeInspect(o: VolumeInspectOptions, client: Client, io: IO): Promise<number> {
  const raws: string[] = [];
  const errors: unknown[] = [];
  for (const name of o.volumes) {
    try {
      raws.push(await client.volumeInspectRaw(name));
    } catch (e) {
      errors.push(e);
    }
  }
  printInspect(io, raws, o.format);
  for (const e of errors) printError(io, e);
  return errors.length ? 1 : 0;
}

export const volumeInspect: CommandSpec<VolumeInspectOptions> = {
  name: 'inspect',
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  declare: (cmd: Command) => cmd.argument('[volumes...]', 'VOLUME [VOLUME...]').option('-f, --format <string>', 'Format output using a custom template'),
  options: (a, f) => {
    const volumes = a[0] as string[];
    if (!volumes.length) throw new UsageError(`'wharf volume inspect' requires at least 1 argument`);
    return { volumes, format: f.format as string | undefined };
  },
  run: runVolumeInspect,
};
