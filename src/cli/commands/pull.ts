import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { PROG, UsageError, type CommandSpec, type IO } from '../command';
import { configDir, parseNormalizedNamed, refName, refString, registryAuthFor, type NormalizedRef } from '../docker-config';
import { discard, displayJsonMessages, JsonStreamError, type ProgressOut } from '../json-progress';

export interface PullOptions {
  remote: string;
  all: boolean;
  platform?: string;
  quiet: boolean;
  config?: string;
}

export function declarePull(cmd: Command): Command {
  return cmd
    .argument('[args...]', 'NAME[:TAG|@DIGEST]')
    .option('-a, --all-tags', 'Download all tagged images in the repository', false)
    .option('--disable-content-trust', 'Skip image verification (default true)')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('-q, --quiet', 'Suppress verbose output', false);
}

/** Errors the CLI prints as they are (docker's plain errors, not "Error response from daemon"). */
export class PlainError extends Error {}

/** Parse NAME[:TAG|@DIGEST] as docker pull and push do: -a refuses a tag, no tag means latest. */
export function pullRef(remote: string, all: boolean, quiet: boolean, io: IO): NormalizedRef {
  let ref: NormalizedRef;
  try {
    ref = parseNormalizedNamed(remote);
  } catch (e) {
    throw new PlainError((e as Error).message);
  }
  const nameOnly = ref.tag === undefined && ref.digest === undefined;
  if (all && !nameOnly) throw new PlainError("tag can't be used with --all-tags/-a");
  if (!all && nameOnly) {
    ref.tag = 'latest';
    if (!quiet) io.stdout.write('Using default tag: latest\n');
  }
  return ref;
}

/** POST /images/create for a reference and show its progress (out: where, or discard for -q). */
export async function pullAndShow(client: Client, ref: NormalizedRef, o: { all?: boolean; platform?: string; config?: string }, out: ProgressOut): Promise<void> {
  const res = await client.imagePull(refName(ref), o.all ? undefined : (ref.digest ?? ref.tag), {
    registryAuth: registryAuthFor(configDir(o.config), ref.domain),
    platform: o.platform,
  });
  await displayJsonMessages(res, out);
}

export async function runPull(o: PullOptions, client: Client, io: IO): Promise<number> {
  try {
    const ref = pullRef(o.remote, o.all, o.quiet, io);
    await pullAndShow(client, ref, o, o.quiet ? discard : io.stdout);
    io.stdout.write(`${refString(ref)}\n`);
    return 0;
  } catch (e) {
    return plainFailure(e, io);
  }
}

/** A failure docker prints as it is (no "Error response from daemon"): its message, exit 1; anything else goes on up. */
export function plainFailure(e: unknown, io: IO): number {
  if (!(e instanceof PlainError || e instanceof JsonStreamError)) throw e;
  if (e.message) io.stderr.write(`${e.message}\n`);
  return 1;
}

export const pull: CommandSpec<PullOptions> = {
  name: 'pull',
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  declare: declarePull,
  options: (a, f) => {
    const args = (a[0] as string[]) ?? [];
    if (args.length !== 1) throw new UsageError(`'${PROG} pull' requires 1 argument`);
    return {
      remote: args[0],
      all: Boolean(f.allTags),
      platform: (f.platform as string | undefined) ?? (process.env.DOCKER_DEFAULT_PLATFORM || undefined),
      quiet: Boolean(f.quiet),
      config: f.config as string | undefined,
    };
  },
  run: runPull,
};

