import path from 'node:path';
import type { Command } from 'commander';
import { encodeFilters, type Client } from '../../client/client';
import { auditFilters, exportRecords, parseExport, storedOf, filtersFromFlags, objectHistory, rebuildTwice, stateAt, type ExportedRecord, type ObjectHistory, type RebuildReport, type StateAt } from '../../journal/audit';
import { describeActor } from '../../journal/actor';
import { importOffline, withOfflineJournal } from '../../journal/offline';
import fs from 'node:fs';
import type { LevelJournal } from '../../journal/level-journal';
import { parseTimestamp } from '../../domain/time';
import { collect, type CommandSpec, type IO } from '../command';
import { toApiTimestamp } from '../timestamp';

/**
 * Audit replay: `wharf journal export|at|history|rebuild`, through the running daemon
 * (/wharf/v1/journal/...) or, with --data-root, on a stopped daemon's journal (read-only).
 */

const dataRootFlag = (cmd: Command) => cmd.option('--data-root <dir>', "Read a stopped daemon's journal in this data root (read-only)");

/** Run fn on the stopped daemon's journal; its refusal (a daemon holds the lock) is printed, exit 1. */
async function offline<T>(dataRoot: string, io: IO, fn: (j: LevelJournal) => Promise<T>): Promise<T | undefined> {
  try {
    return await withOfflineJournal(path.resolve(dataRoot), fn);
  } catch (e) {
    io.stderr.write(`cannot read the journal: ${(e as Error).message}\n`);
    return undefined;
  }
}

/** A --since/--until/TIME value in the daemon's form (unix seconds.nanos), as docker's CLI sends it. */
function apiTime(v: string | undefined): string | undefined {
  return v === undefined ? undefined : toApiTimestamp(v);
}

function write(io: IO, text: string): Promise<void> {
  return new Promise((resolve) => (io.stdout.write(text) ? resolve() : io.stdout.once('drain', () => resolve())));
}

function table(io: IO, rows: string[][]): void {
  const widths = rows[0].map((_c, k) => Math.max(...rows.map((r) => r[k].length)));
  for (const r of rows) io.stdout.write(`${r.map((c, k) => (k === r.length - 1 ? c : c.padEnd(widths[k] + 3))).join('')}\n`);
}

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

export interface JournalExportOptions {
  dataRoot?: string;
  since?: string;
  until?: string;
  filters: string[];
}

export async function runJournalExport(o: JournalExportOptions, client: Client, io: IO): Promise<number> {
  const since = apiTime(o.since);
  const until = apiTime(o.until);
  const raw = filtersFromFlags(o.filters);
  if (o.dataRoot) {
    const filters = auditFilters(raw);
    const range = { sinceTime: since ? parseTimestamp(since) : undefined, untilTime: until ? parseTimestamp(until) : undefined };
    const done = await offline(o.dataRoot, io, async (j) => {
      for await (const r of exportRecords(j, { ...range, filters })) await write(io, `${JSON.stringify(r)}\n`);
      return true;
    });
    return done ? 0 : 1;
  }
  const res = await client.stream('GET', '/wharf/v1/journal/export', { query: { since, until, filters: encodeFilters(raw) } });
  for await (const chunk of res) await write(io, (chunk as Buffer).toString('utf8'));
  return 0;
}

export const journalExport: CommandSpec<JournalExportOptions> = {
  name: 'export',
  usage: '[OPTIONS]',
  description: 'Print the journal as JSON lines (seq, time, type, version, stream, data, meta)',
  declare: (cmd: Command) =>
    dataRootFlag(cmd)
      .option('--since <time>', 'Records from this time (RFC3339, unix seconds, or a duration such as 10m)')
      .option('--until <time>', 'Records up to this time')
      .option('-f, --filter <filter>', 'Filter: type=<type or family>, stream=<kind or kind:id prefix>', collect, []),
  options: (_a, f) => ({ dataRoot: f.dataRoot as string | undefined, since: f.since as string | undefined, until: f.until as string | undefined, filters: (f.filter as string[]) ?? [] }),
  run: runJournalExport,
};

export interface JournalImportOptions {
  dataRoot?: string;
  file: string;
}

/** `wharf journal import --data-root DIR FILE|-`: an export restored as the journal of a new data root. */
export async function runJournalImport(o: JournalImportOptions, _client: Client, io: IO): Promise<number> {
  if (!o.dataRoot) {
    io.stderr.write('journal import needs --data-root: the records are written into a new data root, for a daemon to start on\n');
    return 1;
  }
  try {
    const text = o.file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(o.file, 'utf8');
    const head = await importOffline(path.resolve(o.dataRoot), parseExport(text).map(storedOf));
    io.stdout.write(`imported ${head.seq} records into ${path.resolve(o.dataRoot)} (head ${head.hash.slice(0, 12)})\n`);
    return 0;
  } catch (e) {
    io.stderr.write(`cannot import the journal: ${(e as Error).message}\n`);
    return 1;
  }
}

export const journalImport: CommandSpec<JournalImportOptions> = {
  name: 'import',
  usage: '--data-root DIR FILE|-',
  description: "Write an export's JSON lines as the journal of a new data root (each record checked against its schema, chained anew)",
  declare: (cmd: Command) => cmd.argument('<file>', 'JSON lines from journal export, or - for stdin').option('--data-root <dir>', 'The new data root (it must have no journal yet)'),
  options: (a, f) => ({ dataRoot: f.dataRoot as string | undefined, file: a[0] as string }),
  run: runJournalImport,
};

export interface JournalAtOptions {
  time: string;
  dataRoot?: string;
  json: boolean;
}

export async function runJournalAt(o: JournalAtOptions, client: Client, io: IO): Promise<number> {
  const t = apiTime(o.time)!;
  let s: StateAt | undefined;
  if (o.dataRoot) s = await offline(o.dataRoot, io, (j) => stateAt(j, parseTimestamp(t)));
  else s = await client.json<StateAt>('GET', '/wharf/v1/journal/at', { query: { time: t } });
  if (!s) return 1;
  if (o.json) {
    io.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(`At ${s.Time} (after record ${s.Seq})\n\nCONTAINERS\n`);
  table(io, [['CONTAINER ID', 'NAME', 'IMAGE', 'STATE'], ...s.Containers.map((c) => [short(c.Id), c.Name, c.Image, c.State])]);
  io.stdout.write('\nIMAGES\n');
  table(io, [['IMAGE ID', 'TAGS'], ...s.Images.map((i) => [short(i.Id), i.Tags.join(', ') || '<none>'])]);
  io.stdout.write('\nNETWORKS\n');
  table(io, [['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET'], ...s.Networks.map((n) => [short(n.Id), n.Name, n.Driver, n.Subnet])]);
  io.stdout.write('\nVOLUMES\n');
  table(io, [['VOLUME NAME', 'DRIVER'], ...s.Volumes.map((v) => [v.Name, v.Driver])]);
  return 0;
}

export const journalAt: CommandSpec<JournalAtOptions> = {
  name: 'at',
  usage: '[OPTIONS] TIME',
  description: 'Show the containers, images, networks and volumes that existed at a time, rebuilt from the journal',
  declare: (cmd: Command) => dataRootFlag(cmd.argument('<time>', 'TIME')).option('--json', 'Print as JSON', false),
  options: (a, f) => ({ time: String(a[0]), dataRoot: f.dataRoot as string | undefined, json: Boolean(f.json) }),
  run: runJournalAt,
};

export interface JournalHistoryOptions {
  object: string;
  dataRoot?: string;
  json: boolean;
}

/** A short account of a record's data, for the table. */
function detail(r: ExportedRecord): string {
  const d = r.data as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of ['name', 'ref', 'image', 'exitCode', 'signal', 'network', 'destination', 'error']) {
    if (d[k] !== undefined && d[k] !== '' && typeof d[k] !== 'object') parts.push(`${k}=${String(d[k])}`);
  }
  return parts.join(' ').slice(0, 80);
}

export async function runJournalHistory(o: JournalHistoryOptions, client: Client, io: IO): Promise<number> {
  let h: ObjectHistory | undefined;
  if (o.dataRoot) h = await offline(o.dataRoot, io, (j) => objectHistory(j, o.object));
  else h = await client.json<ObjectHistory>('GET', '/wharf/v1/journal/history', { query: { object: o.object } });
  if (!h) return 1;
  if (o.json) {
    io.stdout.write(`${JSON.stringify(h, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(`${h.Kind} ${h.Id}${h.Names.length ? ` (${h.Names.join(', ')})` : ''}${h.Exists ? '' : ', removed'}\n`);
  if (h.AlsoNamed.length) io.stdout.write(`also named so once: ${h.AlsoNamed.map(short).join(', ')}\n`);
  table(io, [['SEQ', 'TIME', 'EVENT', 'BY', 'DETAILS'], ...h.Records.map((r) => [String(r.seq), r.time, r.type, describeActor(r.meta.by), detail(r)])]);
  return 0;
}

export const journalHistory: CommandSpec<JournalHistoryOptions> = {
  name: 'history',
  usage: '[OPTIONS] OBJECT',
  description: 'Show every record about a container, image, network or volume (also a removed one), with who asked',
  declare: (cmd: Command) => dataRootFlag(cmd.argument('<object>', 'OBJECT')).option('--json', 'Print as JSON', false),
  options: (a, f) => ({ object: String(a[0]), dataRoot: f.dataRoot as string | undefined, json: Boolean(f.json) }),
  run: runJournalHistory,
};

export interface JournalRebuildOptions {
  dataRoot?: string;
  json: boolean;
}

export async function runJournalRebuild(o: JournalRebuildOptions, client: Client, io: IO): Promise<number> {
  let r: RebuildReport | undefined;
  if (o.dataRoot) r = await offline(o.dataRoot, io, (j) => rebuildTwice(j));
  else r = await client.json<RebuildReport>('GET', '/wharf/v1/journal/rebuild');
  if (!r) return 1;
  if (o.json) io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else {
    const counts = Object.entries(r.Counts).map(([k, n]) => `${n} ${k}`).join(', ');
    const against = r.Against === 'live' ? 'the live views' : 'a second replay';
    if (r.Equal) io.stdout.write(`rebuilt from records 1..${r.Seq}: ${counts}; equal to ${against}\n`);
    else {
      io.stderr.write(`rebuilt from records 1..${r.Seq}: ${counts}; DIFFERENT from ${against}:\n`);
      for (const d of r.Differences) io.stderr.write(`  ${d}\n`);
    }
  }
  return r.Equal ? 0 : 1;
}

export const journalRebuild: CommandSpec<JournalRebuildOptions> = {
  name: 'rebuild',
  usage: '[OPTIONS]',
  description: 'Rebuild every projection from the journal alone and check it equals the live views',
  declare: (cmd: Command) => dataRootFlag(cmd).option('--json', 'Print the report as JSON', false),
  options: (_a, f) => ({ dataRoot: f.dataRoot as string | undefined, json: Boolean(f.json) }),
  run: runJournalRebuild,
};
