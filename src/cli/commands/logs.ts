import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { deframe } from '../../wire/stream';
import { UsageError, type CommandSpec, type IO } from '../command';
import { toApiTimestamp } from '../timestamp';

export interface LogsOptions {
  container: string;
  follow: boolean;
  tail: string;
  timestamps: boolean;
  since?: string;
  until?: string;
  details: boolean;
}

export function declareLogs(cmd: Command): Command {
  return cmd
    .argument('[container]', 'CONTAINER')
    .option('--details', 'Show extra details provided to logs', false)
    .option('-f, --follow', 'Follow log output', false)
    .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps', false)
    .option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)');
}

export async function runLogs(o: LogsOptions, client: Client, io: IO): Promise<number> {
  const now = Date.now();
  const since = o.since ? toApiTimestamp(o.since, now) : undefined;
  const until = o.until ? toApiTimestamp(o.until, now) : undefined;
  const c = await client.containerInspect(o.container);
  const res = await client.containerLogs(o.container, { stdout: true, stderr: true, follow: o.follow, tail: o.tail, timestamps: o.timestamps, since, until, details: o.details });
  const tty = Boolean(c.Config?.Tty);
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of res) {
    const d = chunk as Buffer;
    if (tty) {
      io.stdout.write(d);
      continue;
    }
    const parsed = deframe(rest.length ? Buffer.concat([rest, d]) : d);
    rest = Buffer.from(parsed.rest);
    for (const f of parsed.frames) (f.stream === 2 ? io.stderr : io.stdout).write(f.data);
  }
  return 0;
}

export const logs: CommandSpec<LogsOptions> = {
  name: 'logs',
  usage: '[OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  declare: declareLogs,
  options: (a, f) => {
    if (a[0] === undefined) throw new UsageError(`'wharf logs' requires 1 argument`);
    return {
      container: a[0] as string,
      follow: Boolean(f.follow),
      tail: f.tail as string,
      timestamps: Boolean(f.timestamps),
      since: f.since as string | undefined,
      until: f.until as string | undefined,
      details: Boolean(f.details),
    };
  },
  run: runLogs,
};
