import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { pumpAttach } from '../attach';
import { forEachRef, printError, UsageError, type CommandSpec, type IO } from '../command';

export interface StartOptions {
  containers: string[];
  attach: boolean;
  interactive: boolean;
  detachKeys?: string;
}

export function declareStart(cmd: Command): Command {
  return cmd
    .argument('[containers...]', 'CONTAINER [CONTAINER...]')
    .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals', false)
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-i, --interactive', "Attach container's STDIN", false);
}

/** Start and attach to one container; the exit status is the container's. */
async function startAttached(o: StartOptions, client: Client, io: IO): Promise<number> {
  const ref = o.containers[0];
  const c = await client.containerInspect(ref);
  const tty = Boolean(c.Config?.Tty);
  const stdin = o.interactive && Boolean(c.Config?.OpenStdin);
  const h = await client.attach(c.Id, { stream: true, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys });
  const session = pumpAttach(h, io, { tty, stdin });
  let wait;
  try {
    wait = await client.containerWait(c.Id, 'next-exit');
    await client.containerStart(c.Id);
  } catch (e) {
    session.close();
    throw e;
  }
  const handlers: [NodeJS.Signals, () => void][] = [];
  if (!tty) {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as NodeJS.Signals[]) {
      const fn = () => void client.containerKill(c.Id, sig).catch(() => undefined);
      process.on(sig, fn);
      handlers.push([sig, fn]);
    }
  }
  try {
    wait.result.then(
      () => session.idleClose(3000),
      () => session.idleClose(3000),
    );
    await session.done;
    const r = await wait.result;
    return r.StatusCode;
  } finally {
    for (const [sig, fn] of handlers) process.off(sig, fn);
  }
}

export async function runStart(o: StartOptions, client: Client, io: IO): Promise<number> {
  if (o.attach || o.interactive) {
    if (o.containers.length > 1) {
      io.stderr.write('you cannot start and attach multiple containers at once\n');
      return 1;
    }
    return startAttached(o, client, io);
  }
  const { failed } = await forEachRef(io, o.containers, async (ref) => {
    await client.containerStart(ref);
    return ref;
  });
  if (failed.length) {
    printError(io, new Error(`Error: failed to start containers: ${failed.join(', ')}`));
    return 1;
  }
  return 0;
}

export const start: CommandSpec<StartOptions> = {
  name: 'start',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  declare: declareStart,
  options: (a, f) => {
    const containers = a[0] as string[];
    if (!containers.length) throw new UsageError(`'wharf start' requires at least 1 argument`);
    return { containers, attach: Boolean(f.attach), interactive: Boolean(f.interactive), detachKeys: f.detachKeys as string | undefined };
  },
  run: runStart,
};
