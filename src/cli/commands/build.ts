import type { Command } from 'commander';
import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Client } from '../../client/client';
import { packContext } from '../../build/context-tar';
import { displayJsonMessages, JsonStreamError, type JsonStreamMessage } from '../json-progress';
import { collect, UsageError, type CommandSpec, type IO } from '../command';
import { validateReference } from '../reference';

export interface BuildOptions {
  context: string;
  tags: string[];
  file?: string;
  buildArgs: string[];
  labels: string[];
  quiet: boolean;
  noCache: boolean;
  rm: boolean;
  forceRm: boolean;
  pull: boolean;
  target?: string;
  network?: string;
  iidfile?: string;
  cacheFrom: string[];
}

export function declareBuild(cmd: Command): Command {
  return cmd
    .argument('[context]', 'PATH | URL | -')
    .option('-t, --tag <name>', 'Name and optionally a tag in the "name:tag" format', collect, [] as string[])
    .option('-f, --file <string>', "Name of the Dockerfile (Default is 'PATH/Dockerfile')")
    .option('--build-arg <list>', 'Set build-time variables', collect, [] as string[])
    .option('--label <list>', 'Set metadata for an image', collect, [] as string[])
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--rm [bool]', 'Remove intermediate containers after a successful build', 'true')
    .option('--force-rm', 'Always remove intermediate containers')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('--target <string>', 'Set the target build stage to build.')
    .option('--network <string>', 'Set the networking mode for the RUN instructions during build', 'default')
    .option('--iidfile <string>', 'Write the image ID to the file')
    .option('--cache-from <strings>', 'Images to consider as cache sources', collect, [] as string[]);
}

/** KEY=value, or KEY alone: the value of the client's environment (absent: the Dockerfile's default). */
function buildArgsOf(list: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const a of list) {
    const i = a.indexOf('=');
    if (i >= 0) out[a.slice(0, i)] = a.slice(i + 1);
    else out[a] = process.env[a] ?? null;
  }
  return out;
}

function labelsOf(list: string[]): Record<string, string> {
  return Object.fromEntries(list.map((l) => (l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''])));
}

/** The context to send: a directory packed as the docker CLI packs it, stdin (a tar, or a Dockerfile alone), or a URL for the daemon. */
async function contextOf(o: BuildOptions, io: IO): Promise<{ body?: Readable; remote?: string; dockerfile?: string }> {
  if (/^(https?:\/\/|git@|git:\/\/)/.test(o.context)) return { remote: o.context, dockerfile: o.file };
  if (o.context === '-') {
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(Buffer.from(c as Buffer));
    const data = Buffer.concat(chunks);
    if (isArchive(data)) return { body: Readable.from([data]), dockerfile: o.file };
    return { body: singleFileTar('Dockerfile', data), dockerfile: 'Dockerfile' };
  }
  const st = await fsp.stat(o.context).catch(() => undefined);
  if (!st?.isDirectory()) throw new Error(`unable to prepare context: path "${o.context}" not found`);
  const packed = packContext(o.context, { dockerfile: o.file });
  return { body: packed.stream, dockerfile: packed.dockerfileName };
}

/** A tar (ustar magic at 257) or a compressed stream (gzip, bzip2, xz): sent as the context itself. */
function isArchive(b: Buffer): boolean {
  if (b.length > 262 && b.subarray(257, 262).toString('latin1') === 'ustar') return true;
  return (b[0] === 0x1f && b[1] === 0x8b) || b.subarray(0, 3).toString('latin1') === 'BZh' || (b[0] === 0xfd && b.subarray(1, 6).toString('latin1') === '7zXZ\0');
}

function singleFileTar(name: string, data: Buffer): Readable {
  const pack = tar.pack();
  pack.entry({ name, size: data.length, mode: 0o600, mtime: new Date() }, data);
  pack.finalize();
  return pack as unknown as Readable;
}

export async function runBuild(o: BuildOptions, client: Client, io: IO): Promise<number> {
  for (const t of o.tags) validateReference(t);
  const ctx = await contextOf(o, io);
  const query: Record<string, string | string[] | undefined> = {
    t: o.tags.length ? o.tags : undefined,
    dockerfile: ctx.dockerfile,
    remote: ctx.remote,
    q: o.quiet ? '1' : undefined,
    nocache: o.noCache ? '1' : undefined,
    rm: o.rm ? '1' : '0',
    forcerm: o.forceRm ? '1' : undefined,
    pull: o.pull ? '1' : undefined,
    target: o.target,
    networkmode: o.network,
    buildargs: JSON.stringify(buildArgsOf(o.buildArgs)),
    labels: JSON.stringify(labelsOf(o.labels)),
    cachefrom: JSON.stringify(o.cacheFrom),
    version: '1',
  };
  const res = await client.stream('POST', '/build', { query, body: ctx.body, contentType: 'application/x-tar' });
  let imageId = '';
  const onAux = (m: JsonStreamMessage) => {
    const id = (m.aux as { ID?: string } | undefined)?.ID;
    if (id) imageId = id;
  };
  let quietId = '';
  try {
    if (o.quiet) {
      await displayJsonMessages(res, { write: (s: string) => (quietId += s), isTTY: false }, { onAux });
    } else {
      await displayJsonMessages(res, io.stdout as never, { onAux });
    }
  } catch (e) {
    if (e instanceof JsonStreamError) {
      io.stderr.write(`${e.message}\n`);
      return e.code || 1;
    }
    throw e;
  }
  if (o.quiet) io.stdout.write(quietId || `${imageId}\n`);
  if (o.iidfile) {
    if (!imageId) throw new Error(`Server did not provide an image ID. Cannot write ${o.iidfile}`);
    await fsp.writeFile(o.iidfile, imageId);
  }
  return 0;
}

export const build: CommandSpec<BuildOptions> = {
  name: 'build',
  usage: '[OPTIONS] PATH | URL | -',
  description: 'Build an image from a Dockerfile',
  declare: declareBuild,
  options: (a, f) => {
    if (a[0] === undefined) throw new UsageError(`'wharf build' requires 1 argument`);
    return {
      context: a[0] as string,
      tags: f.tag as string[],
      file: f.file as string | undefined,
      buildArgs: f.buildArg as string[],
      labels: f.label as string[],
      quiet: Boolean(f.quiet),
      noCache: f.cache === false,
      rm: String(f.rm) !== 'false',
      forceRm: Boolean(f.forceRm),
      pull: Boolean(f.pull),
      target: f.target as string | undefined,
      network: f.network as string | undefined,
      iidfile: f.iidfile as string | undefined,
      cacheFrom: f.cacheFrom as string[],
    };
  },
  run: runBuild,
};
