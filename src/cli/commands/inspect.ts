import type { Command } from 'commander';
import { ClientError, type Client } from '../../client/client';
import { UsageError, type CommandSpec, type IO } from '../command';
import { inspectEach } from './image-inspect';

export interface InspectOptions {
  objects: string[];
  format?: string;
  type?: string;
  size?: boolean;
}

export function declareInspect(cmd: Command): Command {
  return cmd
    .argument('[objects...]', 'NAME|ID [NAME|ID...]')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes if the type is container', false)
    .option('--type <string>', 'Only inspect objects of the given type (container, image)');
}

const notFound = (e: unknown) => e instanceof ClientError && e.status === 404;

/** Containers first, then images, like docker's inspect without --type. */
export async function runInspect(o: InspectOptions, client: Client, io: IO): Promise<number> {
  if (o.type && o.type !== 'container' && o.type !== 'image') {
    io.stderr.write(`"${o.type}" is not a valid value for --type\n`);
    return 1;
  }
  return inspectEach(io, o.objects, o.format, async (ref) => {
    if (o.type === 'image') return client.imageInspectRaw(ref);
    if (o.type === 'container') return client.containerInspectRaw(ref, { size: o.size });
    try {
      return await client.containerInspectRaw(ref, { size: o.size });
    } catch (e) {
      if (!notFound(e)) throw e;
    }
    try {
      return await client.imageInspectRaw(ref);
    } catch (e) {
      if (!notFound(e)) throw e;
      throw new Error(`Error: No such object: ${ref}`);
    }
  });
}

export const inspect: CommandSpec<InspectOptions> = {
  name: 'inspect',
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on Wharf objects',
  declare: declareInspect,
  options: (a, f) => {
    const objects = a[0] as string[];
    if (!objects.length) throw new UsageError(`'wharf inspect' requires at least 1 argument`);
    return { objects, format: f.format as string | undefined, type: f.type as string | undefined, size: Boolean(f.size) };
  },
  run: runInspect,
};
