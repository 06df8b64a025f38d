import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { UsageError, type CommandSpec, type IO } from '../command';
import { inspectEach } from './image-inspect';

export interface VolumeInspectOptions {
  volumes: string[];
  format?: string;
}

export function runVolumeInspect(o: VolumeInspectOptions, client: Client, io: IO): Promise<number> {
  return inspectEach(io, o.volumes, o.format, (name) => client.volumeInspectRaw(name));
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
