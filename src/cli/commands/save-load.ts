import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { displayJsonMessages } from '../json-progress';
import { printError, PROG, UsageError, type CommandSpec } from '../command';

/** docker save: images to a tar, to -o FILE or a redirected stdout. */
export const save: CommandSpec<{ images: string[]; output?: string }> = {
  name: 'save',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  declare: (cmd) => cmd.argument('[images...]', 'IMAGE [IMAGE...]').option('-o, --output <string>', 'Write to a file, instead of STDOUT'),
  options: (a, f) => {
    const images = (a[0] as string[]) ?? [];
    if (!images.length) throw new UsageError(`'${PROG} save' requires at least 1 argument`);
    return { images, output: f.output as string | undefined };
  },
  run: async (o, client, io) => {
    if (!o.output && io.stdout.isTTY) {
      io.stderr.write('cowardly refusing to save to a terminal. Use the -o flag or redirect\n');
      return 1;
    }
    try {
      await pipeline(await client.imageSave(o.images), o.output ? createWriteStream(o.output) : io.stdout);
      return 0;
    } catch (e) {
      printError(io, e);
      return 1;
    }
  },
};

/** docker load: images from a tar, -i FILE or stdin; prints what was loaded. */
export const load: CommandSpec<{ input?: string; quiet: boolean }> = {
  name: 'load',
  usage: '[OPTIONS]',
  description: 'Load an image from a tar archive or STDIN',
  declare: (cmd) => cmd.option('-i, --input <string>', 'Read from tar archive file, instead of STDIN').option('-q, --quiet', 'Suppress the load output', false),
  options: (_a, f) => ({ input: f.input as string | undefined, quiet: Boolean(f.quiet) }),
  run: async (o, client, io) => {
    if (!o.input && io.stdin.isTTY) {
      io.stderr.write('requested load from stdin, but stdin is empty\n');
      return 1;
    }
    try {
      // As docker: the daemon is asked for quiet output unless stdout is a terminal.
      const res = await client.imageLoad(o.input ? createReadStream(o.input) : (io.stdin as Readable), o.quiet || !io.stdout.isTTY);
      if (String(res.headers['content-type'] ?? '').startsWith('application/json')) await displayJsonMessages(res, io.stdout);
      else await pipeline(res, io.stdout, { end: false });
      return 0;
    } catch (e) {
      printError(io, e);
      return 1;
    }
  },
};
