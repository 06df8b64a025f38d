import { InvalidArgumentError, type Command } from 'commander';
import type { Client, ContainerPort, ContainerSummary } from '../../client/client';
import { collect, int, UsageError, type CommandSpec, type IO } from '../command';
import { ago, ellipsis, goQuote, humanSize, shortId, table } from '../format';
import { printList } from '../template';

export interface PsOptions {
  all: boolean;
  quiet: boolean;
  noTrunc: boolean;
  last: number;
  latest: boolean;
  size: boolean;
  filter: string[];
  format?: string;
}

export function declarePs(cmd: Command): Command {
  return cmd
    .option('-a, --all', 'Show all containers (default shows just running)', false)
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', filterFlag, [] as string[])
    .option('--format <string>', 'Format output using a custom template')
    .option('-n, --last <int>', 'Show n last created containers (includes all states)', int, -1)
    .option('-l, --latest', 'Show the latest created container (includes all states)', false)
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only display container IDs', false)
    .option('-s, --size', 'Display total file sizes', false);
}

/** -f name=value, refused as a flag error (exit 125) when there is no "=", as docker does. */
function filterFlag(v: string, acc: string[]): string[] {
  if (!v.includes('=')) throw new InvalidArgumentError('bad format of filter (expected name=value)');
  return collect(v, acc);
}

/** "0.0.0.0:8080->80/tcp, 443/tcp" */
export function formatPorts(ports: ContainerPort[] | null): string {
  return (ports ?? [])
    .map((p) => (p.PublicPort ? `${p.IP ?? '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`))
    .join(', ');
}

/** The fields docker's container formatter offers to --format templates. */
export interface ContainerRow {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  RunningFor: string;
  Ports: string;
  State: string;
  Status: string;
  Size: string;
  Names: string;
  Labels: string;
  Mounts: string;
  Networks: string;
  LocalVolumes: string;
  Platform: null;
  /** {{.Label "key"}}: one label's value, "" when unset. */
  Label?: (name: string) => string;
}

const HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
};

export function containerRow(c: ContainerSummary, trunc: boolean, now = Date.now()): ContainerRow {
  let names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
  if (trunc) {
    const plain = names.find((n) => !n.includes('/'));
    names = plain !== undefined ? [plain] : names;
  }
  let image = c.Image || '<no image>';
  if (trunc && c.Image) {
    if (shortId(c.ImageID ?? '') === shortId(c.Image)) image = shortId(c.Image);
    else image = image.replace(/@sha256:[0-9a-f]+$/, '');
  }
  const created = new Date(c.Created * 1000);
  const row: ContainerRow = {
    ID: trunc ? shortId(c.Id) : c.Id,
    Image: image,
    Command: goQuote(trunc ? ellipsis(c.Command ?? '', 20) : c.Command ?? ''),
    CreatedAt: created.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
    RunningFor: ago(c.Created, now),
    Ports: formatPorts(c.Ports),
    State: c.State,
    Status: c.Status,
    Size: (c.SizeRootFs ?? 0) > 0 ? `${humanSize(c.SizeRw ?? 0)} (virtual ${humanSize(c.SizeRootFs ?? 0)})` : humanSize(c.SizeRw ?? 0),
    Names: names.join(','),
    Labels: Object.entries(c.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    Mounts: (c.Mounts ?? []).map((m) => m.Name || m.Source || '').join(','),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Name && m.Name.length === 64).length),
    Platform: null,
  };
  // A method, not a field: left out of {{json .}} as docker leaves it out.
  Object.defineProperty(row, 'Label', { value: (name: string) => c.Labels?.[name] ?? '', enumerable: false });
  return row;
}

export async function runPs(o: PsOptions, client: Client, io: IO): Promise<number> {
  const filters: Record<string, string[]> = {};
  for (const f of o.filter) {
    const i = f.indexOf('=');
    (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
  }
  const limit = o.latest ? 1 : o.last;
  // As docker: a template that shows {{.Size}} asks the daemon for the sizes.
  const size = o.size || (!o.quiet && o.format !== undefined && /\{\{[^}]*\.Size\b/.test(o.format));
  // -n and -l include all states (docker's daemon implies "all" from the limit; say it outright).
  const list = await client.containerList({ all: o.all || limit > 0, limit, size, filters });
  const rows = list.map((c) => containerRow(c, !o.noTrunc));
  if (o.quiet) {
    io.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
    return 0;
  }
  if (o.format) {
    printList(io.stdout, o.format, rows, HEADERS);
    return 0;
  }
  const header = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES', ...(o.size ? ['SIZE'] : [])];
  const body = rows.map((r) => [r.ID, r.Image, r.Command, r.RunningFor, r.Status, r.Ports, r.Names, ...(o.size ? [r.Size] : [])]);
  io.stdout.write(table([header, ...body]));
  return 0;
}

export const ps: CommandSpec<PsOptions> = {
  name: 'ps',
  usage: '[OPTIONS]',
  description: 'List containers',
  declare: (cmd) => declarePs(cmd).argument('[args...]'),
  options: (a, f) => {
    if ((a[0] as string[]).length) throw new UsageError(`'wharf ps' accepts no arguments`);
    return {
      all: Boolean(f.all),
      quiet: Boolean(f.quiet),
      noTrunc: f.trunc === false,
      last: f.last as number,
      latest: Boolean(f.latest),
      size: Boolean(f.size),
      filter: f.filter as string[],
      format: f.format as string | undefined,
    };
  },
  run: runPs,
};
