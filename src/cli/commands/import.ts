import type { Command } from 'commander';
import { goPathError } from '../os-error';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Client } from '../../client/client';
import { displayJsonMessages } from '../json-progress';
import { collect, UsageError, type CommandSpec, type IO } from '../command';
import { validateReference } from '../reference';

export interface ImportOptions {
  file: string;
  reference?: string;
  message?: string;
  change: string[];
}

export function declareImport(cmd: Command): Command {
  return cmd
    .argument('[file]', 'tarball file, "-" for STDIN, or URL')
    .argument('[reference]', 'REPOSITORY[:TAG]')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [] as string[])
    .option('-m, --message <string>', 'Set commit message for imported image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable');
}

function openSource(file: string, io: IO): Promise<Readable | string> {
  if (file === '-') return Promise.resolve(io.stdin);
  if (/^https?:\/\//.test(file)) return Promise.resolve(file);
  return new Promise((resolve, reject) => {
    const s = createReadStream(file);
    s.once('open', () => resolve(s));
    s.once('error', (e) => reject(goPathError('open', file, e)));
  });
}

export async function runImport(opts: ImportOptions, client: Client, io: IO): Promise<number> {
  if (opts.reference) validateReference(opts.reference);
  const source = await openSource(opts.file, io);
  const res = await client.imageImport(source, { repo: opts.reference, message: opts.message, changes: opts.change });
  await displayJsonMessages(res, io.stdout);
  return 0;
}

export const importCmd: CommandSpec<ImportOptions> = {
  name: 'import',
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  description: 'Import the contents from a tarball to create a filesystem image',
  declare: declareImport,
  options: (a, f) => {
    if (a[0] === undefined) throw new UsageError(`'${'wharf'} import' requires at least 1 argument`);
    return { file: a[0] as string, reference: a[1] as string | undefined, message: f.message as string | undefined, change: f.change as string[] };
  },
  run: runImport,
};
