import { promises as fsp, watch } from 'node:fs';
import path from 'node:path';
import { filter, from, mergeMap, firstValueFrom, race, timer } from 'rxjs';
import type { EngineContext } from './context';
import { logPath } from './start-container';

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC3339 with nanoseconds, UTC ("...Z"). */
  time: string;
  timeNanos: bigint;
  data: Buffer;
}

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines of what is there now. */
  tail?: number;
  sinceNanos?: bigint;
  untilNanos?: bigint;
  /** Start at the current end of the log (attach: only new output). */
  fromEnd?: boolean;
  /** Pass partial lines on as they come (attach: a shell prompt has no newline). */
  partial?: boolean;
  /** While this says true, following goes on (default: while the container runs). */
  live?: () => boolean;
  signal?: AbortSignal;
  /** Another log in conmon's format than the container's own (an exec session's). */
  file?: string;
}

/**
 * Read a container's log as conmon writes it (k8s-file: "<time> <stream> <F|P> <text>"),
 * optionally following it until the container stops. Lines come out as Docker's json-file
 * driver stores them: a line longer than 16 KiB in 16 KiB records, and a last line without
 * a newline as a record of its own once the container has stopped.
 */
export async function* readLogs(ctx: EngineContext, id: string, o: LogOptions = {}): AsyncIterable<LogEntry> {
  const file = o.file ?? logPath(ctx, id);
  let offset = 0;
  if (o.fromEnd) offset = await fsp.stat(file).then((s) => s.size, () => 0);
  // Without follow, what is written after the read began is not waited for (a busy writer cannot keep it going).
  const stopAt = o.follow ? undefined : await fsp.stat(file).then((s) => s.size, () => 0);
  let rest: Buffer = Buffer.alloc(0);
  const lines = new LogAssembler(o.partial);
  // What is there when the read begins (read to its end, in bounded chunks) is what --tail counts.
  let catchingUp = true;
  const tail = o.tail !== undefined && o.tail >= 0 ? o.tail : undefined;
  let kept: LogEntry[] = [];
  const show = function* (entries: LogEntry[]): Generator<LogEntry, boolean> {
    for (const e of entries) {
      if (o.sinceNanos !== undefined && e.timeNanos < o.sinceNanos) continue;
      if (o.untilNanos !== undefined && e.timeNanos > o.untilNanos) return false;
      yield e;
    }
    return true;
  };
  for (;;) {
    if (o.signal?.aborted) return;
    const wasRunning = o.live ? o.live() : isLive(ctx, id);
    const chunk = await readFrom(file, offset);
    offset += chunk.length;
    const buf: Buffer = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    const lastNl = buf.lastIndexOf(0x0a);
    rest = lastNl >= 0 ? buf.subarray(lastNl + 1) : buf;
    const entries: LogEntry[] = [];
    if (lastNl >= 0) {
      for (const line of splitLines(buf.subarray(0, lastNl))) entries.push(...lines.feed(line));
    }
    // Everything is read and nothing more will come: a partial last line is final.
    const ended = !wasRunning && chunk.length === 0;
    if (ended) entries.push(...lines.flush());
    if (catchingUp && tail !== undefined) {
      kept.push(...entries);
      if (kept.length > tail) kept = tail === 0 ? [] : kept.slice(-tail);
    } else if (!(yield* show(entries))) return;
    const caughtUp = chunk.length === 0 || (stopAt !== undefined && offset >= stopAt && wasRunning);
    if (catchingUp && caughtUp) {
      catchingUp = false;
      if (!(yield* show(kept))) return;
      kept = [];
    }
    if (!caughtUp) continue;
    if (!o.follow || ended) return;
    // Following with --until ends once that time has passed.
    if (o.untilNanos !== undefined && BigInt(Date.now()) * 1_000_000n > o.untilNanos) return;
    // What changed before changed() watched (the container stopped, more was written) is not lost.
    const moved = async () => (o.live ? o.live() : isLive(ctx, id)) !== wasRunning || (await fsp.stat(file).then((st) => st.size > offset, () => false));
    await changed(ctx, id, path.dirname(file), o.signal, moved);
  }
}

/** Docker's log copier reads lines into a 16 KiB buffer: a longer line is stored in records of that size. */
export const LOG_RECORD_MAX = 16 * 1024;

interface Pending {
  parts: Buffer[];
  length: number;
  /** The time of the last partial record. */
  time: string;
  timeNanos: bigint;
  /** Once a 16 KiB record of this line went out: the time every record of the line carries. */
  lineTime?: { time: string; timeNanos: bigint };
}

/**
 * Turns k8s-file records into log entries: partial ("P") records are held until their final
 * ("F") part, cut into 16 KiB records when they grow past that, and flushed without a newline
 * when the log ends on one (`printf abc`). With passPartial, each record goes out as it comes.
 */
export class LogAssembler {
  private readonly pending: Partial<Record<'stdout' | 'stderr', Pending>> = {};
  constructor(private readonly passPartial = false) {}

  feed(line: Buffer): LogEntry[] {
    const r = parseRecord(line);
    if (!r) return [];
    const { stream, tag, text, time, timeNanos } = r;
    if (tag === 'P' && this.passPartial) return [{ stream, time, timeNanos, data: Buffer.from(text) }];
    const p = (this.pending[stream] ??= { parts: [], length: 0, time, timeNanos });
    p.parts.push(Buffer.from(text));
    p.length += text.length;
    p.time = time;
    p.timeNanos = timeNanos;
    const out = this.cut(stream, p, time, timeNanos);
    if (tag === 'P') return out;
    const at = p.lineTime ?? { time, timeNanos };
    this.pending[stream] = undefined;
    out.push({ stream, ...at, data: Buffer.concat([...p.parts, NEWLINE]) });
    return out;
  }

  /** The log ends here: partial lines go out as they are. */
  flush(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const p = this.pending[stream];
      this.pending[stream] = undefined;
      if (!p || p.length === 0) continue;
      out.push({ stream, ...(p.lineTime ?? { time: p.time, timeNanos: p.timeNanos }), data: Buffer.concat(p.parts) });
    }
    return out.sort((a, b) => (a.timeNanos < b.timeNanos ? -1 : a.timeNanos > b.timeNanos ? 1 : 0));
  }

  private cut(stream: 'stdout' | 'stderr', p: Pending, time: string, timeNanos: bigint): LogEntry[] {
    const out: LogEntry[] = [];
    while (p.length >= LOG_RECORD_MAX) {
      p.lineTime ??= { time, timeNanos };
      const all = Buffer.concat(p.parts);
      out.push({ stream, ...p.lineTime, data: all.subarray(0, LOG_RECORD_MAX) });
      const left = all.subarray(LOG_RECORD_MAX);
      p.parts = [left];
      p.length = left.length;
    }
    return out;
  }
}

const NEWLINE = Buffer.from('\n');

function isLive(ctx: EngineContext, id: string): boolean {
  const s = ctx.views.containers.get(id)?.status;
  return s === 'running' || s === 'starting' || s === 'created';
}

async function readFrom(file: string, offset: number): Promise<Buffer> {
  const fh = await fsp.open(file, 'r').catch(() => undefined);
  if (!fh) return Buffer.alloc(0);
  try {
    const { size } = await fh.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(Math.min(size - offset, 4 * 1024 * 1024));
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function* splitLines(buf: Buffer): Iterable<Buffer> {
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) {
      if (start < buf.length) yield buf.subarray(start);
      return;
    }
    yield buf.subarray(start, nl);
    start = nl + 1;
  }
}

/** One k8s-file line; partial ("P") lines are held until their final ("F") part. */
export function parseLine(line: Buffer, partial: Partial<Record<'stdout' | 'stderr', Buffer[]>>, passPartial = false): LogEntry | undefined {
  const r = parseRecord(line);
  if (!r) return undefined;
  const { stream, tag, text, time, timeNanos } = r;
  if (tag === 'P') {
    if (passPartial) return { stream, time, timeNanos, data: Buffer.from(text) };
    (partial[stream] ??= []).push(text);
    return undefined;
  }
  const parts = partial[stream];
  partial[stream] = undefined;
  return { stream, time, timeNanos, data: Buffer.concat([...(parts ?? []), text, NEWLINE]) };
}

function parseRecord(line: Buffer): { stream: 'stdout' | 'stderr'; tag: string; text: Buffer; time: string; timeNanos: bigint } | undefined {
  const s1 = line.indexOf(0x20);
  const s2 = line.indexOf(0x20, s1 + 1);
  const s3 = line.indexOf(0x20, s2 + 1);
  if (s1 < 0 || s2 < 0) return undefined;
  const stream = line.subarray(s1 + 1, s2).toString();
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = s3 < 0 ? line.subarray(s2 + 1).toString() : line.subarray(s2 + 1, s3).toString();
  const text = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
  const { time, nanos } = normaliseTime(line.subarray(0, s1).toString());
  return { stream, tag, text, time, timeNanos: nanos };
}

/** "2026-11-22T15:46:57.933709967+00:00" → "2026-11-22T15:46:57.933709967Z" and nanoseconds. */
function normaliseTime(raw: string): { time: string; nanos: bigint } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(raw);
  if (!m) return { time: raw, nanos: 0n };
  const frac = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  const secs = BigInt(Math.floor(Date.parse(`${m[1]}${m[3]}`) / 1000));
  const iso = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  return { time: `${iso}.${frac}Z`, nanos: secs * 1_000_000_000n + BigInt(frac) };
}

/** Wait until the log dir changes, the container's state changes, or a short while passes. */
async function changed(ctx: EngineContext, id: string, dir: string, signal?: AbortSignal, moved?: () => Promise<boolean>): Promise<void> {
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let w: ReturnType<typeof watch> | undefined;
  try {
    const fileChange = new Promise<void>((resolve) => {
      try {
        w = watch(dir, { signal: ac.signal }, () => resolve());
        w.on('error', () => resolve());
      } catch {
        resolve();
      }
    });
    const stateChange = firstValueFrom(
      race(
        ctx.journal.committed$.pipe(mergeMap((b) => from(b)), filter((e) => e.data.id === id)),
        timer(1000),
      ),
      { defaultValue: undefined },
    );
    const aborted = new Promise<void>((resolve) => ac.signal.addEventListener('abort', () => resolve(), { once: true }));
    // Checked once the watch and the subscription are in place: a change before them would else wait for the timer.
    const already = moved ? moved().then((m) => (m ? undefined : new Promise<void>(() => {}))) : new Promise<void>(() => {});
    await Promise.race([fileChange, stateChange, aborted, already]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    ac.abort();
    w?.close();
  }
}
