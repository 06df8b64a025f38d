import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { pumpAttach, type AttachSession } from '../attach';
import { errorText, type CommandSpec, type IO } from '../command';
import { ConfigError, containerConfigOptions, createBody, createContainer, validatePull, declareContainerConfig, type ContainerConfigOptions } from './container-config';

export interface RunOptions extends ContainerConfigOptions {
  detach: boolean;
  sigProxy: boolean;
  detachKeys?: string;
}

export function declareRun(cmd: Command): Command {
  return declareContainerConfig(cmd)
    .option('-d, --detach', 'Run container in background and print container ID', false)
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('--sig-proxy <bool>', 'Proxy received signals to the process', (v: string) => v !== 'false' && v !== '0', true);
}

/** docker's exit status when a container cannot start: 127 not found, 126 not executable, else 125. */
export function startFailureCode(message: string): number {
  if (message.includes('executable file not found') || message.includes('no such file or directory')) return 127;
  if (message.includes('permission denied')) return 126;
  return 125;
}

function report(io: IO, e: unknown): void {
  io.stderr.write(`wharf: ${errorText(e)}\n\nRun 'wharf run --help' for more information\n`);
}

const PROXIED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export async function runRun(o: RunOptions, client: Client, io: IO): Promise<number> {
  let id: string;
  let body: Record<string, unknown>;
  try {
    validatePull(o.pull);
    body = createBody(o, false);
    if (o.detach && o.attach.length) {
      io.stderr.write('conflicting options: cannot specify both --attach and --detach\n');
      return 1;
    }
    id = await createContainer(client, o, o.detach, io);
  } catch (e) {
    report(io, e);
    if (e instanceof ConfigError) return 125;
    // As docker: the status follows the message ("no such file or directory": 127).
    return startFailureCode(errorText(e));
  }

  if (o.detach) {
    io.stdout.write(`${id}\n`);
    try {
      await client.containerStart(id);
    } catch (e) {
      report(io, e);
      return startFailureCode(errorText(e));
    }
    return 0;
  }

  // Attach first, then register the wait, then start: no output and no exit can be missed.
  let session: AttachSession;
  try {
    const h = await client.attach(id, { stream: true, stdin: Boolean(body.AttachStdin), stdout: Boolean(body.AttachStdout), stderr: Boolean(body.AttachStderr), detachKeys: o.detachKeys });
    session = pumpAttach(h, io, { tty: o.tty, stdin: o.interactive });
  } catch (e) {
    report(io, e);
    return 125;
  }
  let wait: Awaited<ReturnType<Client['containerWait']>>;
  try {
    wait = await client.containerWait(id, o.rm ? 'removed' : 'next-exit');
  } catch (e) {
    session.close();
    report(io, e);
    return 125;
  }
  try {
    await client.containerStart(id);
  } catch (e) {
    session.close();
    report(io, e);
    return startFailureCode(errorText(e));
  }

  const handlers: [NodeJS.Signals, () => void][] = [];
  if (o.sigProxy && !o.tty) {
    for (const sig of PROXIED_SIGNALS) {
      const h = () => void client.containerKill(id, sig).catch(() => undefined);
      process.on(sig, h);
      handlers.push([sig, h]);
    }
  }
  try {
    // Once the container has exited, stop waiting for output after a quiet spell.
    wait.result.then(
      () => session.idleClose(3000),
      () => session.idleClose(3000),
    );
    await session.done;
    let r;
    try {
      r = await wait.result;
    } catch (e) {
      report(io, e);
      return 125;
    }
    if (r.Error?.Message) {
      io.stderr.write(`wharf: ${r.Error.Message}\n`);
      return 125;
    }
    return r.StatusCode;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

export const run: CommandSpec<RunOptions> = {
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  declare: declareRun,
  options: (a, f) => ({
    ...containerConfigOptions(a, f, 'run'),
    detach: Boolean(f.detach),
    sigProxy: f.sigProxy !== false,
    detachKeys: f.detachKeys as string | undefined,
  }),
  run: runRun,
};
