import type { Client } from '../../client/client';
import { readAll } from '../../client/client';
import { printError, type CommandSpec, type IO } from '../command';
import { bytesSize, humanSize, shortId, table } from '../format';

/** The fields of Docker's stats JSON the CLI computes its columns from. */
export interface StatsJson {
  id: string;
  name: string;
  cpu_stats: { cpu_usage: { total_usage: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  pids_stats?: { current?: number };
}

/** One row of `docker stats`, computed the docker CLI's way (cache not counted as memory use). */
export function statsRow(s: StatsJson): string[] {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus || s.cpu_stats.cpu_usage.percpu_usage?.length || 1;
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
  const st = s.memory_stats.stats ?? {};
  const cache = st.total_inactive_file ?? st.inactive_file ?? 0;
  const used = Math.max(0, (s.memory_stats.usage ?? 0) - cache);
  const limit = s.memory_stats.limit ?? 0;
  const nets = Object.values(s.networks ?? {});
  const rx = nets.reduce((a, n) => a + n.rx_bytes, 0);
  const tx = nets.reduce((a, n) => a + n.tx_bytes, 0);
  const io = s.blkio_stats?.io_service_bytes_recursive ?? [];
  const sum = (op: string) => io.filter((e) => e.op.toLowerCase() === op).reduce((a, e) => a + e.value, 0);
  return [
    shortId(s.id),
    s.name.replace(/^\//, ''),
    `${cpu.toFixed(2)}%`,
    `${bytesSize(used)} / ${bytesSize(limit)}`,
    `${limit ? ((used / limit) * 100).toFixed(2) : '0.00'}%`,
    `${humanSize(rx)} / ${humanSize(tx)}`,
    `${humanSize(sum('read'))} / ${humanSize(sum('write'))}`,
    String(s.pids_stats?.current ?? 0),
  ];
}

const HEADER = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];

export interface StatsOptions {
  containers: string[];
  all: boolean;
  noStream: boolean;
}

async function snapshot(client: Client, refs: string[]): Promise<{ rows: string[][]; errors: unknown[] }> {
  const rows: string[][] = [];
  const errors: unknown[] = [];
  for (const ref of refs) {
    try {
      const res = await client.containerStats(ref, false);
      rows.push(statsRow(JSON.parse((await readAll(res)).toString()) as StatsJson));
    } catch (e) {
      errors.push(e);
    }
  }
  return { rows, errors };
}

/** docker stats: --no-stream prints one table; otherwise the table is redrawn every second. */
export async function runStats(o: StatsOptions, client: Client, io: IO): Promise<number> {
  for (let round = 0; ; round++) {
    const refs = o.containers.length ? o.containers : (await client.containerList({ all: o.all })).map((c) => c.Id);
    const { rows, errors } = await snapshot(client, refs);
    for (const e of errors) printError(io, e);
    if (!o.noStream) io.stdout.write('\x1b[2J\x1b[H');
    io.stdout.write(table([HEADER, ...rows]));
    if (o.noStream) return errors.length ? 1 : 0;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export const stats: CommandSpec<StatsOptions> = {
  name: 'stats',
  usage: '[OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  declare: (cmd) =>
    cmd
      .argument('[containers...]', 'CONTAINER...')
      .option('-a, --all', 'Show all containers (default shows just running)', false)
      .option('--no-stream', 'Disable streaming stats and only pull the first result')
      .option('--no-trunc', 'Do not truncate output'),
  options: (a, f) => ({ containers: (a[0] as string[]) ?? [], all: Boolean(f.all), noStream: f.stream === false }),
  run: runStats,
};
