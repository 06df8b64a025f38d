import type { Command } from 'commander';
import type { Client, HistoryItem } from '../../client/client';
import { PROG, UsageError, type CommandSpec, type IO } from '../command';
import { ellipsis, humanDuration, humanSize, shortId } from '../format';
import { printList } from '../template';

export interface HistoryOptions {
  image: string;
  human: boolean;
  quiet: boolean;
  noTrunc: boolean;
  format?: string;
  platform?: string;
}

const HEADERS: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

/** Go's time.Format(time.RFC3339) in the local time zone: "2024-05-01T10:00:00Z" or "...+02:00". */
export function rfc3339(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const offMin = -d.getTimezoneOffset();
  const base = new Date(unixSeconds * 1000 + offMin * 60_000).toISOString().slice(0, 19);
  if (offMin === 0) return `${base}Z`;
  const a = Math.abs(offMin);
  return `${base}${offMin < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** 2000-01-01: created dates before it are shown as N/A. */
const EPOCH = Date.UTC(2000, 0, 1) / 1000;

/** The fields of docker's history formatter. */
export function historyRow(h: HistoryItem, trunc: boolean, human: boolean, now = Date.now()): Record<string, string> {
  const createdAt = rfc3339(h.Created);
  const createdBy = (h.CreatedBy ?? '').replace(/\t/g, ' ');
  return {
    ID: trunc && h.Id.includes(':') ? shortId(h.Id) : trunc ? h.Id.slice(0, 12) : h.Id,
    CreatedSince: !human ? createdAt : h.Created <= EPOCH ? 'N/A' : `${humanDuration(Math.max(0, now - h.Created * 1000))} ago`,
    CreatedAt: createdAt,
    CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
    Size: human ? humanSize(h.Size, 3) : String(h.Size),
    Comment: h.Comment ?? '',
  };
}

export async function runHistory(o: HistoryOptions, client: Client, io: IO): Promise<number> {
  const items = (await client.imageHistory(o.image, o.platform ? JSON.stringify(platformObject(o.platform)) : undefined)) ?? [];
  let format = o.format || 'table';
  if (format === 'table') {
    format = o.quiet ? '{{.ID}}' : o.human ? 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}' : 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
  }
  printList(io.stdout, format, items.map((h) => historyRow(h, !o.noTrunc, o.human)), HEADERS);
  return 0;
}

function platformObject(p: string): Record<string, string> {
  const [os, architecture, variant] = p.toLowerCase().split('/');
  return { architecture: architecture ?? 'amd64', os, ...(variant ? { variant } : {}) };
}

/** -H/--human takes a value as a Go bool flag does (-H=false); alone it means true. */
function goBool(v: string): boolean {
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  throw new Error(`strconv.ParseBool: parsing "${v}": invalid syntax`);
}

export const history: CommandSpec<HistoryOptions> = {
  name: 'history',
  usage: '[OPTIONS] IMAGE',
  description: 'Show the history of an image',
  declare: (cmd: Command) =>
    cmd
      .argument('[args...]', 'IMAGE')
      .option('--format <string>', 'Format output using a custom template')
      .option('-H, --human [bool]', 'Print sizes and dates in human readable format (default true)')
      .option('--no-trunc', "Don't truncate output")
      .option('--platform <string>', 'Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")')
      .option('-q, --quiet', 'Only show image IDs', false),
  options: (a, f) => {
    let args = (a[0] as string[]) ?? [];
    // A Go bool flag takes a value only as -H=false: "-H busybox" is -H and an argument.
    let h = f.human as string | boolean | undefined;
    if (typeof h === 'string') {
      const v = h.replace(/^=/, '');
      if (h.startsWith('=') || /^(1|t|true|0|f|false)$/i.test(v)) h = v;
      else {
        args = [h, ...args];
        h = true;
      }
    }
    if (args.length !== 1) throw new UsageError(`'${PROG} history' requires 1 argument`);
    return {
      image: args[0],
      human: h === undefined || h === true ? true : goBool(String(h)),
      quiet: Boolean(f.quiet),
      noTrunc: f.trunc === false,
      format: f.format as string | undefined,
      platform: f.platform as string | undefined,
    };
  },
  run: runHistory,
};
