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
 * optionally following it until the container stops.
 */
export async function* readLogs(ctx: EngineContext, id: string, o: LogOptions = {}): AsyncIterable<LogEntry> {
  const file = o.file ?? logPath(ctx, id);
  let offset = 0;
  if (o.fromEnd) offset = await fsp.stat(file).then((s) => s.size, () => 0);
  let rest: Buffer = Buffer.alloc(0);
  const partial: Partial<Record<'stdout' | 'stderr', Buffer[]>> = {};
  let first = true;
  for (;;) {
    if (o.signal?.aborted) return;
    const wasRunning = o.live ? o.live() : isLive(ctx, id);
    const chunk = await readFrom(file, offset);
    offset += chunk.length;
    const buf: Buffer = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    const lastNl = buf.lastIndexOf(0x0a);
    rest = lastNl >= 0 ? buf.subarray(lastNl + 1) : buf;
    let entries: LogEntry[] = [];
    if (lastNl >= 0) {
      for (const line of splitLines(buf.subarray(0, lastNl))) {
        const e = parseLine(line, partial, o.partial);
        if (e) entries.push(e);
      }
    }
    if (first && o.tail !== undefined && o.tail >= 0) entries = o.tail === 0 ? [] : entries.slice(-o.tail);
    first = false;
    for (const e of entries) {
      if (o.sinceNanos !== undefined && e.timeNanos < o.sinceNanos) continue;
      if (o.untilNanos !== undefined && e.timeNanos > o.untilNanos) return;
      yield e;
    }
    if (!o.follow) return;
    if (!wasRunning && chunk.length === 0) return;
    // Following with --until ends once that time has passed.
    if (o.untilNanos !== undefined && chunk.length === 0 && BigInt(Date.now()) * 1_000_000n > o.untilNanos) return;
    if (chunk.length === 0) await changed(ctx, id, path.dirname(file), o.signal);
  }
}

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
  const s1 = line.indexOf(0x20);
  const s2 = line.indexOf(0x20, s1 + 1);
  const s3 = line.indexOf(0x20, s2 + 1);
  if (s1 < 0 || s2 < 0) return undefined;
  const rawTime = line.subarray(0, s1).toString();
  const stream = line.subarray(s1 + 1, s2).toString() as 'stdout' | 'stderr';
  const tag = s3 < 0 ? line.subarray(s2 + 1).toString() : line.subarray(s2 + 1, s3).toString();
  const text = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  if (tag === 'P') {
    if (passPartial) {
      const { time, nanos } = normaliseTime(rawTime);
      return { stream, time, timeNanos: nanos, data: Buffer.from(text) };
    }
    (partial[stream] ??= []).push(text);
    return undefined;
  }
  const parts = partial[stream];
  partial[stream] = undefined;
  const data = Buffer.concat([...(parts ?? []), text, Buffer.from('\n')]);
  const { time, nanos } = normaliseTime(rawTime);
  return { stream, time, timeNanos: nanos, data };
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
async function changed(ctx: EngineContext, id: string, dir: string, signal?: AbortSignal): Promise<void> {
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
    await Promise.race([fileChange, stateChange, aborted]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    ac.abort();
    w?.close();
  }
}
