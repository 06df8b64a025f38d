import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from '../../client/client';
import { printError, PROG, UsageError, type CommandSpec, type IO } from '../command';

export interface CpOptions {
  src: string;
  dest: string;
  archive: boolean;
  followLink: boolean;
}

/** "CONTAINER:PATH" → [container, path]; a local path (absolute, ./ or no colon) → [undefined, path]. */
export function splitCpArg(arg: string): [string | undefined, string] {
  if (arg.startsWith('/') || arg.startsWith('.')) return [undefined, arg];
  const i = arg.indexOf(':');
  return i > 0 ? [arg.slice(0, i), arg.slice(i + 1)] : [undefined, arg];
}

const endsWithDot = (p: string) => p === '.' || p.endsWith('/.');
const escapeSed = (s: string) => s.replace(/[\\,&]/g, (c) => `\\${c}`);

/** GNU tar on the host side: pack a path (renamed at the top), or unpack (renaming, stripping). */
function tar(args: string[], input?: Readable): { stdout: Readable; done: Promise<void> } {
  const p = spawn('tar', args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  if (input) input.pipe(p.stdin!);
  const done = new Promise<void>((resolve, reject) => p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(err.trim() || `tar exited ${code}`)))));
  return { stdout: p.stdout!, done };
}

async function fromContainer(client: Client, ctr: string, src: string, dest: string, o: CpOptions, io: IO): Promise<void> {
  // GET first, as docker does: a missing path is answered with the daemon's message.
  const res = await client.containerArchive(ctr, src);
  const stat = JSON.parse(Buffer.from(String(res.headers['x-docker-container-path-stat'] ?? ''), 'base64').toString('utf8') || '{}') as { name: string; mode: number };
  const isDir = (stat.mode & 0x80000000) !== 0; // Go's os.ModeDir
  if (dest === '-') {
    await pipeline(res, io.stdout);
    return;
  }
  const owner = o.archive ? [] : ['--no-same-owner'];
  const destStat = await fsp.stat(dest).catch(() => undefined);
  if (endsWithDot(src) && isDir) {
    // Copy what the directory holds: into dest, made if missing.
    await fsp.mkdir(dest, { recursive: true });
    const t = tar(['-x', '-C', dest, '--strip-components=1', ...owner], res);
    await t.done;
    return;
  }
  if (destStat?.isDirectory()) {
    await tar(['-x', '-C', dest, ...owner], res).done;
    return;
  }
  if (destStat && isDir) throw new Error(`cannot copy a directory to a file: ${dest}`);
  if (!destStat && dest.endsWith('/')) throw new Error(`destination directory "${dest}" does not exist`);
  const parent = path.dirname(dest);
  if (!(await fsp.stat(parent).catch(() => undefined))?.isDirectory()) throw new Error(`lstat ${parent}: no such file or directory`);
  const from = path.basename(stat.name);
  const to = path.basename(dest);
  await tar(['-x', '-C', parent, ...owner, `--transform=s,^${escapeSed(from)}\\(/\\|$\\),${escapeSed(to)}\\1,`], res).done;
}

async function toContainer(client: Client, src: string, ctr: string, dest: string, o: CpOptions, io: IO): Promise<void> {
  if (src === '-') {
    await client.containerPutArchive(ctr, dest, io.stdin as Readable, { copyUIDGID: o.archive });
    return;
  }
  const st = await (o.followLink ? fsp.stat(src) : fsp.lstat(src)).catch(() => undefined);
  if (!st) throw new Error(`lstat ${path.resolve(src)}: no such file or directory`);
  let target: Awaited<ReturnType<Client['containerStatPath']>> | undefined;
  try {
    target = await client.containerStatPath(ctr, dest);
  } catch {
    target = undefined;
  }
  const targetIsDir = target ? (target.mode & 0x80000000) !== 0 : false;
  const follow = o.followLink ? ['-h'] : [];
  let args: string[];
  let putTo = dest;
  if (endsWithDot(src) && st.isDirectory()) {
    if (target && !targetIsDir) throw new Error('cannot copy a directory to a file');
    if (target) args = ['-c', ...follow, '-C', src, '.'];
    else {
      putTo = path.posix.dirname(dest);
      args = ['-c', ...follow, '-C', src, `--transform=s,^\\.,${escapeSed(path.posix.basename(dest))},`, '.'];
    }
  } else if (targetIsDir) {
    args = ['-c', ...follow, '-C', path.dirname(path.resolve(src)), path.basename(src)];
  } else {
    if (target && st.isDirectory()) throw new Error('cannot copy a directory to a file');
    if (!target && dest.endsWith('/')) throw new Error(`destination directory "${dest}" does not exist`);
    putTo = path.posix.dirname(dest);
    const from = path.basename(src);
    args = ['-c', ...follow, '-C', path.dirname(path.resolve(src)), `--transform=s,^${escapeSed(from)},${escapeSed(path.posix.basename(dest))},`, from];
  }
  const t = tar(args);
  await Promise.all([client.containerPutArchive(ctr, putTo, t.stdout, { copyUIDGID: o.archive }), t.done]);
}

/** docker cp: between a container and the host, in either direction, with tar's rules. */
export async function runCp(o: CpOptions, client: Client, io: IO): Promise<number> {
  const [sc, sp] = splitCpArg(o.src);
  const [dc, dp] = splitCpArg(o.dest);
  try {
    if (sc && dc) throw new UsageError('copying between containers is not supported');
    if (!sc && !dc) throw new UsageError('must specify at least one container source');
    if (sc) await fromContainer(client, sc, sp, dp, o, io);
    else await toContainer(client, sp, dc!, dp, o, io);
    return 0;
  } catch (e) {
    printError(io, e);
    return 1;
  }
}

export const cp: CommandSpec<CpOptions> = {
  name: 'cp',
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-',
  description: 'Copy files/folders between a container and the local filesystem',
  declare: (cmd) =>
    cmd
      .argument('[src]', 'SRC')
      .argument('[dest]', 'DEST')
      .option('-a, --archive', 'Archive mode (copy all uid/gid information)', false)
      .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH', false)
      .option('-q, --quiet', 'Suppress progress output during copy', false),
  options: (a, f) => {
    if (a[0] === undefined || a[1] === undefined) throw new UsageError(`'${PROG} cp' requires exactly 2 arguments`);
    return { src: a[0] as string, dest: a[1] as string, archive: Boolean(f.archive), followLink: Boolean(f.followLink) };
  },
  run: runCp,
};
