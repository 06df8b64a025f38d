import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { JsonStreamError, jsonMessages } from '../json-progress';
import { UsageError, type CommandSpec, type IO } from '../command';

export interface InsertOptions {
  image: string;
  url: string;
  path: string;
}

export function declareInsert(cmd: Command): Command {
  return cmd.argument('[image]').argument('[url]').argument('[path]');
}

/**
 * docker insert (Docker 0.7): a new image, the image's contents plus the file at URL put at
 * PATH. Prints the new image's short id, as the seed's documentation shows; an error in the
 * stream is the command's error.
 */
export async function runInsert(opts: InsertOptions, client: Client, io: IO): Promise<number> {
  const res = await client.imageInsert(opts.image, opts.url, opts.path);
  let id = '';
  for await (const m of jsonMessages(res)) {
    if (m.error || m.errorDetail) throw new JsonStreamError(m.errorDetail?.message ?? m.error ?? '', m.errorDetail?.code);
    if (!m.id && !m.progressDetail && m.status && /^[0-9a-f]{64}$/.test(m.status)) id = m.status;
  }
  if (!id) throw new Error('insert: no image id in the answer');
  io.stdout.write(`${id.slice(0, 12)}\n`);
  return 0;
}

export const insert: CommandSpec<InsertOptions> = {
  name: 'insert',
  usage: 'IMAGE URL PATH',
  description: 'Insert a file from URL in the IMAGE at PATH',
  declare: declareInsert,
  options: (a) => {
    if (a.length < 3 || a.slice(0, 3).some((x) => x === undefined)) throw new UsageError(`'wharf insert' requires exactly 3 arguments`);
    return { image: a[0] as string, url: a[1] as string, path: a[2] as string };
  },
  run: runInsert,
};
