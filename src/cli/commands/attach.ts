import type { Client } from '../../client/client';
import { pumpAttach } from '../attach';
import { printError, PROG, UsageError, type CommandSpec, type IO } from '../command';

export interface AttachOptions {
  container: string;
  noStdin: boolean;
  detachKeys?: string;
  sigProxy: boolean;
}

/** docker attach: this terminal to a running container's stdio; the exit code is the container's. */
export async function runAttach(o: AttachOptions, client: Client, io: IO): Promise<number> {
  let c;
  try {
    c = await client.containerInspect(o.container);
  } catch (e) {
    printError(io, e);
    return 1;
  }
  if (!c.State.Running) {
    io.stderr.write('You cannot attach to a stopped container, start it first\n');
    return 1;
  }
  const tty = Boolean(c.Config.Tty);
  const stdin = !o.noStdin && Boolean(c.Config.OpenStdin);
  if (tty && stdin && !io.stdin.isTTY) {
    io.stderr.write('the input device is not a TTY\n');
    return 1;
  }
  const wait = await client.containerWait(c.Id, 'next-exit');
  const h = await client.attach(c.Id, { stream: true, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys });
  const session = pumpAttach(h, io, { tty, stdin });
  const handlers: [NodeJS.Signals, () => void][] = [];
  if (o.sigProxy && !tty) {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as NodeJS.Signals[]) {
      const fn = () => void client.containerKill(c.Id, sig).catch(() => undefined);
      process.on(sig, fn);
      handlers.push([sig, fn]);
    }
  }
  try {
    await session.done;
  } finally {
    for (const [sig, fn] of handlers) process.off(sig, fn);
  }
  // Detached (the container still runs) or the container ended: its code then.
  const now = await client.containerInspect(c.Id).catch(() => undefined);
  if (now?.State.Running) return 0;
  return (await wait.result).StatusCode;
}

export const attachCmd: CommandSpec<AttachOptions> = {
  name: 'attach',
  usage: '[OPTIONS] CONTAINER',
  description: "Attach local standard input, output, and error streams to a running container",
  declare: (cmd) =>
    cmd
      .argument('[container]', 'CONTAINER')
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .option('--no-stdin', 'Do not attach STDIN')
      .option('--sig-proxy', 'Proxy all received signals to the process', true)
      .option('--no-sig-proxy', 'Do not proxy signals'),
  options: (a, f) => {
    if (a[0] === undefined) throw new UsageError(`'${PROG} attach' requires exactly 1 argument`);
    return { container: a[0] as string, noStdin: f.stdin === false, detachKeys: f.detachKeys as string | undefined, sigProxy: f.sigProxy !== false };
  },
  run: runAttach,
};
