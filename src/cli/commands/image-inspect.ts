import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { eachRef, printError, UsageError, type CommandSpec, type IO } from '../command';
import { indentJson } from '../format';
import { execTemplate, parseTemplate } from '../template';

export interface ImageInspectOptions {
  images: string[];
  format?: string;
}

export function declareImageInspect(cmd: Command): Command {
  return cmd.argument('[images...]', 'IMAGE [IMAGE...]').option('-f, --format <string>', 'Format output using a custom template');
}

/**
 * Print inspect results like docker: a JSON array indented with 4 spaces (the daemon's own
 * key order and numbers), or one template line per object. Failures print "[]" when nothing
 * was found and go to stderr after.
 */
export function printInspect(io: IO, raws: string[], format: string | undefined): void {
  if (format) {
    const t = parseTemplate(format);
    for (const r of raws) io.stdout.write(`${execTemplate(t, JSON.parse(r))}\n`);
    return;
  }
  if (raws.length === 0) {
    io.stdout.write('[]\n');
    return;
  }
  io.stdout.write(`[\n${raws.map((r) => `    ${indentJson(r, '    ', 1)}`).join(',\n')}\n]\n`);
}

/** Inspect each reference, print what was found (see printInspect), then the failures; exit 1 if any. */
export async function inspectEach(io: IO, refs: string[], format: string | undefined, fn: (ref: string) => Promise<string>): Promise<number> {
  const { results, failed } = await eachRef(refs, fn);
  printInspect(io, results, format);
  for (const f of failed) printError(io, f.error);
  return failed.length ? 1 : 0;
}

export async function runImageInspect(opts: ImageInspectOptions, client: Client, io: IO): Promise<number> {
  return inspectEach(io, opts.images, opts.format, (ref) => client.imageInspectRaw(ref));
}

export const imageInspect: CommandSpec<ImageInspectOptions> = {
  name: 'inspect',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Display detailed information on one or more images',
  declare: declareImageInspect,
  options: (a, f) => {
    const images = a[0] as string[];
    if (!images.length) throw new UsageError(`'wharf image inspect' requires at least 1 argument`);
    return { images, format: f.format as string | undefined };
  },
  run: runImageInspect,
};
