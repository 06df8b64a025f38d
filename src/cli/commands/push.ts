import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { PROG, UsageError, type CommandSpec, type IO } from '../command';
import { configDir, familiarName, refString, registryAuthFor } from '../docker-config';
import { discard, displayJsonMessages } from '../json-progress';
import { PlainError, plainFailure, pullRef } from './pull';

export interface PushOptions {
  remote: string;
  all: boolean;
  quiet: boolean;
  platform?: string;
  config?: string;
}

export function declarePush(cmd: Command): Command {
  return cmd
    .argument('[args...]', 'NAME[:TAG]')
    .option('-a, --all-tags', 'Push all tags of an image to the repository', false)
    .option('--disable-content-trust', 'Skip image signing (default true)')
    .option(
      '--platform <string>',
      "Push a platform-specific manifest as a single-platform image to the registry.\nImage index won't be pushed, meaning that other manifests, including attestations won't be preserved.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
    )
    .option('-q, --quiet', 'Suppress verbose output', false);
}

/** platforms.Parse, enough for os[/arch[/variant]]: the JSON docker sends in the platform query. */
export function platformJson(p: string): string {
  const parts = p.toLowerCase().split('/');
  if (parts.length > 3 || parts.some((x) => !/^[a-z0-9_-]+$/.test(x))) throw new PlainError(`"${p}": unknown operating system or architecture: invalid argument`);
  const [os, architecture, variant] = parts;
  const o: Record<string, string> = {};
  if (architecture) o.architecture = architecture === 'x86_64' || architecture === 'x86-64' ? 'amd64' : architecture === 'aarch64' ? 'arm64' : architecture;
  else o.architecture = 'amd64';
  o.os = os;
  if (variant) o.variant = variant;
  return JSON.stringify(o);
}

const PLATFORM_NOTE = [
  'Using --platform pushes only the specified platform manifest of a multi-platform image index.',
  'Other components, like attestations, will not be included.',
  'To push the complete multi-platform image, remove the --platform flag.',
  '',
];

export async function runPush(o: PushOptions, client: Client, io: IO): Promise<number> {
  try {
    let platform: string | undefined;
    if (o.platform) {
      try {
        platform = platformJson(o.platform);
      } catch (e) {
        io.stderr.write(`Invalid platform ${o.platform}`);
        throw e;
      }
      // tui's PrintNote (plain off a terminal).
      const header = ' Info -> ';
      io.stdout.write(`\n${header}${PLATFORM_NOTE.map((l, i) => `${i ? ' '.repeat(header.length) : ''}${l}\n`).join('')}`);
    }
    const ref = pullRef(o.remote, o.all, o.quiet, io);
    if (ref.digest !== undefined) throw new PlainError('cannot push a digest reference');
    const res = await client.imagePush(familiarName(ref), {
      tag: o.all ? undefined : ref.tag,
      registryAuth: registryAuthFor(configDir(o.config), ref.domain),
      platform,
    });
    await displayJsonMessages(res, o.quiet ? discard : io.stdout, { onAux: () => undefined });
    if (o.quiet) io.stdout.write(`${refString(ref)}\n`);
    return 0;
  } catch (e) {
    return plainFailure(e, io);
  }
}

export const push: CommandSpec<PushOptions> = {
  name: 'push',
  usage: '[OPTIONS] NAME[:TAG]',
  description: 'Upload an image to a registry',
  declare: declarePush,
  options: (a, f) => {
    const args = (a[0] as string[]) ?? [];
    if (args.length !== 1) throw new UsageError(`'${PROG} push' requires 1 argument`);
    return { remote: args[0], all: Boolean(f.allTags), quiet: Boolean(f.quiet), platform: f.platform as string | undefined, config: f.config as string | undefined };
  },
  run: runPush,
};
