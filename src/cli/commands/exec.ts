import type { Client } from '../../client/client';
import { pumpAttach } from '../attach';
import { collect, printError, PROG, UsageError, type CommandSpec, type IO } from '../command';
import { envList } from './container-config';

export interface ExecOptions {
  container: string;
  command: string[];
  detach: boolean;
  interactive: boolean;
  tty: boolean;
  env: string[];
  user?: string;
  workdir?: string;
  privileged: boolean;
  detachKeys?: string;
}

type Sized = { columns?: number; rows?: number };

/**
 * docker exec: create the session, start it attached through a hijacked connection (or
 * detached), follow the terminal's size, then ask the daemon for the exit code.
 */
export async function runExec(o: ExecOptions, client: Client, io: IO): Promise<number> {
  if (o.tty && o.interactive && !io.stdin.isTTY) {
    io.stderr.write('the input device is not a TTY\n');
    return 1;
  }
  const out = io.stdout as unknown as Sized;
  const size: [number, number] | undefined = o.tty && out.rows && out.columns ? [out.rows, out.columns] : undefined;
  let id: string;
  try {
    ({ Id: id } = await client.execCreate(o.container, {
      User: o.user ?? '',
      Privileged: o.privileged,
      Tty: o.tty,
      AttachStdin: o.interactive && !o.detach,
      AttachStdout: !o.detach,
      AttachStderr: !o.detach,
      DetachKeys: o.detachKeys ?? '',
      Env: envList(o.env),
      WorkingDir: o.workdir ?? '',
      Cmd: o.command,
      ...(size ? { ConsoleSize: size } : {}),
    }));
    if (o.detach) {
      await client.execStartDetached(id);
      return 0;
    }
  } catch (e) {
    printError(io, e);
    return 1;
  }
  const h = await client.execStartAttached(id, { Tty: o.tty, ...(size ? { ConsoleSize: size } : {}) });
  const session = pumpAttach(h, io, { tty: o.tty, stdin: o.interactive });
  const onResize = () => {
    if (out.rows && out.columns) void client.execResize(id, out.rows, out.columns).catch(() => undefined);
  };
  if (o.tty && size) process.stdout.on('resize', onResize);
  try {
    await session.done;
  } finally {
    process.stdout.off('resize', onResize);
  }
  const x = await client.execInspect(id);
  return x.ExitCode ?? 0;
}

export const exec: CommandSpec<ExecOptions> = {
  name: 'exec',
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  declare: (cmd) =>
    cmd
      .argument('[container]', 'CONTAINER')
      .argument('[command...]', 'COMMAND [ARG...]')
      .option('-d, --detach', 'Detached mode: run command in the background', false)
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .option('-e, --env <list>', 'Set environment variables', collect, [] as string[])
      .option('-i, --interactive', 'Keep STDIN open even if not attached', false)
      .option('--privileged', 'Give extended privileges to the command', false)
      .option('-t, --tty', 'Allocate a pseudo-TTY', false)
      .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
      .option('-w, --workdir <string>', 'Working directory inside the container'),
  options: (a, f) => {
    const command = (a[1] as string[]) ?? [];
    if (a[0] === undefined || !command.length) throw new UsageError(`'${PROG} exec' requires at least 2 arguments`);
    return {
      container: a[0] as string,
      command,
      detach: Boolean(f.detach),
      interactive: Boolean(f.interactive),
      tty: Boolean(f.tty),
      env: f.env as string[],
      user: f.user as string | undefined,
      workdir: f.workdir as string | undefined,
      privileged: Boolean(f.privileged),
      detachKeys: f.detachKeys as string | undefined,
    };
  },
  run: runExec,
};
