import path from 'node:path';
import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { repairOffline, verifyOffline } from '../../journal/offline';
import type { CommandSpec, IO } from '../command';
import { humanSize } from '../format';
import { writeQuarantineReason } from '../../storage/quarantine';

export interface JournalVerifyOptions {
  dataRoot?: string;
  json: boolean;
}

/** What both ways of verifying print and return. */
interface Verdict {
  intact: boolean;
  records: number;
  head: string;
  firstBad?: string;
  problem?: string;
  notes: string[];
}

function report(v: Verdict, o: { json: boolean }, io: IO, raw: unknown): number {
  if (o.json) io.stdout.write(`${JSON.stringify(raw, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`);
  else if (v.intact) io.stdout.write(`journal intact: ${v.records} records, head ${v.head}\n`);
  if (!o.json && !v.intact) io.stderr.write(`journal damaged at record ${v.firstBad ?? '?'}: ${v.problem}\n`);
  if (!o.json) for (const n of v.notes) io.stderr.write(`${n}\n`);
  return v.intact ? 0 : 1;
}

/** `wharf journal verify`: through the running daemon (-H), or offline with --data-root. */
export async function runJournalVerify(o: JournalVerifyOptions, client: Client, io: IO): Promise<number> {
  if (o.dataRoot) {
    try {
      const c = await verifyOffline(path.resolve(o.dataRoot));
      return report({ intact: c.intact, records: c.records, head: `${c.headSeq} ${c.headHash}`, firstBad: c.firstBad?.toString(), problem: c.problem, notes: c.tornTail ? [`note: ${c.tornTail} (the daemon drops it at its next start)`] : [] }, o, io, c);
    } catch (e) {
      io.stderr.write(`cannot verify the journal: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const r = await client.json<{ Intact: boolean; Records: number; Head: { Seq: string; Hash: string }; FirstBad: string | null; Problem: string; WriteBlock: string; ViewsMatch: boolean; ViewsDifferences: string[] }>('GET', '/wharf/v1/journal/verify');
  const notes = [
    ...(r.WriteBlock ? [`writes refused: ${r.WriteBlock}`] : []),
    ...(r.ViewsMatch ? [] : ['views rebuilt from the journal differ from the live ones:', ...r.ViewsDifferences.map((d) => `  ${d}`)]),
  ];
  const code = report({ intact: r.Intact, records: r.Records, head: `${r.Head.Seq} ${r.Head.Hash}`, firstBad: r.FirstBad ?? undefined, problem: r.Problem, notes }, o, io, r);
  return code === 0 && !r.ViewsMatch ? 1 : code;
}

export const journalVerify: CommandSpec<JournalVerifyOptions> = {
  name: 'verify',
  usage: '[OPTIONS]',
  description: "Check the journal's hash chain (and, on a running daemon, that its views rebuild the same)",
  declare: (cmd: Command) =>
    cmd.option('--data-root <dir>', 'Check a stopped daemon\'s journal in this data root, offline').option('--json', 'Print the full report as JSON', false),
  options: (_a, f) => ({ dataRoot: f.dataRoot as string | undefined, json: Boolean(f.json) }),
  run: runJournalVerify,
};

export interface JournalRepairOptions {
  dataRoot: string;
}

/** `wharf journal repair --data-root DIR` (offline): keep the intact prefix, back up the rest. */
export async function runJournalRepair(o: JournalRepairOptions, _client: Client, io: IO): Promise<number> {
  const dataRoot = path.resolve(o.dataRoot);
  const stamp = new Date().toISOString().replace(/[:.]/g, '').replace(/-/g, '');
  try {
    const r = await repairOffline(dataRoot, path.join(dataRoot, 'quarantine', `${stamp}-journal-backup`));
    await writeQuarantineReason(r.backup, 'journal', 'a copy of the journal as it was before wharf journal repair');
    io.stdout.write(`journal backed up to ${r.backup}\n`);
    if (r.rebuilt) io.stdout.write("LevelDB's files were rebuilt from its tables and logs\n");
    io.stdout.write(`kept ${r.kept} records`);
    io.stdout.write(r.dropped ? `; dropped ${r.dropped} records from record ${r.droppedFrom} (${r.problem})\n` : '; nothing dropped\n');
    if (r.lostAcknowledged) io.stdout.write(`${r.lostAcknowledged} acknowledged record(s) after record ${r.kept} could not be recovered\n`);
    if (r.dropped || r.lostAcknowledged) io.stdout.write('files that only the dropped records knew are moved to the quarantine at the next start, never deleted\n');
    return 0;
  } catch (e) {
    io.stderr.write(`cannot repair the journal: ${(e as Error).message}\n`);
    return 1;
  }
}

export const journalRepair: CommandSpec<JournalRepairOptions> = {
  name: 'repair',
  usage: '--data-root DIR',
  description: "Repair a stopped daemon's damaged journal: keep the records that verify, back up the rest",
  declare: (cmd: Command) => cmd.requiredOption('--data-root <dir>', 'The data root of the stopped daemon'),
  options: (_a, f) => ({ dataRoot: String(f.dataRoot) }),
  run: runJournalRepair,
};

export interface QuarantineOptions {
  ids: string[];
}

interface QuarantineList {
  Dir: string;
  Items: { Id: string; From: string; Reason: string; Time: string; Size: number }[];
}

export async function runQuarantineLs(_o: QuarantineOptions, client: Client, io: IO): Promise<number> {
  const r = await client.json<QuarantineList>('GET', '/wharf/v1/quarantine');
  const rows = [['ID', 'FROM', 'SIZE', 'REASON'], ...r.Items.map((i) => [i.Id, i.From, humanSize(i.Size), i.Reason])];
  const widths = rows[0].map((_c, k) => Math.max(...rows.map((row) => row[k].length)));
  for (const row of rows) io.stdout.write(`${row.map((c, k) => (k === row.length - 1 ? c : c.padEnd(widths[k] + 3))).join('')}\n`);
  return 0;
}

export async function runQuarantinePrune(o: QuarantineOptions, client: Client, io: IO): Promise<number> {
  const query = o.ids.length ? `?${o.ids.map((i) => `id=${encodeURIComponent(i)}`).join('&')}` : '';
  const r = await client.json<{ Removed: string[]; SpaceReclaimed: number }>('DELETE', `/wharf/v1/quarantine${query}`);
  for (const id of r.Removed) io.stdout.write(`Deleted: ${id}\n`);
  io.stdout.write(`\nTotal reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`);
  return 0;
}

export const quarantineLs: CommandSpec<QuarantineOptions> = {
  name: 'ls',
  usage: '',
  description: 'List the files boot sweeps kept because the journal does not know them',
  declare: (cmd: Command) => cmd,
  options: () => ({ ids: [] }),
  run: runQuarantineLs,
};

export const quarantinePrune: CommandSpec<QuarantineOptions> = {
  name: 'prune',
  usage: '[ID...]',
  description: 'Delete what is in the quarantine (all of it, or the entries named)',
  declare: (cmd: Command) => cmd.argument('[ids...]', 'ID...'),
  options: (a) => ({ ids: (a[0] as string[]) ?? [] }),
  run: runQuarantinePrune,
};

export interface JournalBuildsOptions {
  json: boolean;
}

interface BuildRow {
  id: string;
  started: string;
  context: string;
  remote?: string;
  dockerfile: string;
  tags: string[];
  steps: { step: number; instruction: string; image: string; cached: boolean }[];
  result: string;
  image?: string;
  error?: string;
}

/** `wharf journal builds`: the audit trail of Dockerfile builds, from the journal. */
export async function runJournalBuilds(o: JournalBuildsOptions, client: Client, io: IO): Promise<number> {
  const builds = await client.json<BuildRow[]>('GET', '/wharf/v1/builds');
  if (o.json) {
    io.stdout.write(`${JSON.stringify(builds, null, 2)}\n`);
    return 0;
  }
  for (const b of builds) {
    const cached = b.steps.filter((s) => s.cached).length;
    io.stdout.write(`build ${b.id.slice(0, 12)}  ${b.started}  ${b.result}${b.image ? ` ${b.image.slice(7, 19)}` : ''}${b.tags.length ? ` (${b.tags.join(', ')})` : ''}\n`);
    io.stdout.write(`  context ${b.remote ?? b.context}  dockerfile ${b.dockerfile}  steps ${b.steps.length} (${cached} from cache)\n`);
    for (const s of b.steps) io.stdout.write(`  ${String(s.step).padStart(3)} ${s.cached ? 'cache' : 'new  '} ${s.image.slice(7, 19)}  ${s.instruction}\n`);
    if (b.error) io.stdout.write(`  error: ${b.error}\n`);
  }
  return 0;
}

export const journalBuilds: CommandSpec<JournalBuildsOptions> = {
  name: 'builds',
  usage: '[OPTIONS]',
  description: 'List the Dockerfile builds the journal recorded: context, steps, cache hits, outcome',
  declare: (cmd: Command) => cmd.option('--json', 'Print the builds as JSON', false),
  options: (_a, f) => ({ json: Boolean(f.json) }),
  run: runJournalBuilds,
};
