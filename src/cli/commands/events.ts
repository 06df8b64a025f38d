import type { Command } from 'commander';
import { lines, parseEventLine, type Client, type EventMessage } from '../../client/client';
import { collect, type CommandSpec, type IO } from '../command';
import { rfc3339NanoFixed } from '../format';
import { execTemplate, parseTemplate, toJson } from '../template';
import { toApiTimestamp } from '../timestamp';

export interface EventsOptions {
  since?: string;
  until?: string;
  filter: string[];
  format?: string;
}

export function declareEvents(cmd: Command): Command {
  return cmd
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [] as string[])
    .option('--format <string>', 'Format output using a custom template')
    .option('--since <string>', 'Show all events created since timestamp')
    .option('--until <string>', 'Stream events until this timestamp');
}

/** docker's default line: "<time> <type> <action> <id> (k=v, ...)", attributes sorted by key. */
export function formatEvent(ev: EventMessage): string {
  const nanos = ev.timeNano && ev.timeNano !== 0n ? ev.timeNano : BigInt(ev.time ?? 0) * 1_000_000_000n;
  let line = `${rfc3339NanoFixed(nanos)} ${ev.Type} ${ev.Action} ${ev.Actor?.ID ?? ''}`;
  const attrs = ev.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length) line += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return line;
}

/** The event as Go's events.Message marshals it: fields in struct order, attributes sorted. */
export function eventForJson(ev: EventMessage): Record<string, unknown> {
  const attrs = ev.Actor?.Attributes ?? {};
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(attrs).sort()) sorted[k] = attrs[k];
  const out: Record<string, unknown> = {};
  if (ev.status) out.status = ev.status;
  if (ev.id) out.id = ev.id;
  if (ev.from) out.from = ev.from;
  out.Type = ev.Type;
  out.Action = ev.Action;
  out.Actor = { ID: ev.Actor?.ID ?? '', Attributes: sorted };
  out.scope = ev.scope ?? '';
  if (ev.time) out.time = ev.time;
  if (ev.timeNano) out.timeNano = ev.timeNano;
  return out;
}

export function parseFilterFlags(vals: string[]): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  for (const f of vals) {
    const i = f.indexOf('=');
    if (i < 0) throw new Error(`bad format of filter (expected name=value)`);
    (filters[f.slice(0, i).trim().toLowerCase()] ??= []).push(f.slice(i + 1));
  }
  return filters;
}

export async function runEvents(o: EventsOptions, client: Client, io: IO): Promise<number> {
  const now = Date.now();
  const since = o.since ? toApiTimestamp(o.since, now) : undefined;
  const until = o.until ? toApiTimestamp(o.until, now) : undefined;
  const filters = parseFilterFlags(o.filter);
  const tmpl = o.format && o.format !== 'json' ? parseTemplate(o.format) : undefined;
  const res = await client.events({ since, until, filters });
  for await (const line of lines(res)) {
    const ev = parseEventLine(line);
    let text: string;
    if (o.format === 'json') text = toJson(eventForJson(ev));
    else if (tmpl) text = execTemplate(tmpl, eventForJson(ev));
    else text = formatEvent(ev);
    io.stdout.write(`${text}\n`);
  }
  return 0;
}

export const events: CommandSpec<EventsOptions> = {
  name: 'events',
  usage: '[OPTIONS]',
  description: 'Get real time events from the server',
  declare: declareEvents,
  options: (_a, f) => ({ since: f.since as string | undefined, until: f.until as string | undefined, filter: f.filter as string[], format: f.format as string | undefined }),
  run: runEvents,
};
