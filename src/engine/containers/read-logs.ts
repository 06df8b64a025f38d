import { promises as fsp, watch } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { filter, from, mergeMap, firstValueFrom, race, timer } from 'rxjs';

import { logPath } from './log-rotation';
import { followLog, listLogFiles, readLogFile, type LogFile } from '../../runtime/log-files';

import type { EngineDeps } from '../ports';

/** What read-logs uses of the engine. */
export type ReadLogsDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'containersDir' | 'log' | 'locks'>;
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
export async function* readLogs(ctx: ReadLogsDeps, id: string, o: LogOptions = {}): AsyncIterable<LogEntry> {
  const file = o.file ?? logPath(ctx, id);
  // A container's own log rotates (numbered files beside it); an exec session's never does.
  const src = new LogSource(file, !o.file);
  // A follower's unread files are kept through retention (within a bound).
  const unfollow = o.follow && !o.file ? followLog(file, src) : undefined;
  await src.open(!!o.fromEnd);
  try {
    yield* readFrom(ctx, id, o, file, src);
  } finally {
    unfollow?.();
    await src.close();
  }
}

async function* readFrom(ctx: ReadLogsDeps, id: string, o: LogOptions, file: string, src: LogSource): AsyncIterable<LogEntry> {
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
    const chunk = await src.read();
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
    // Without follow, what is written after the read began is not waited for (a busy writer cannot keep it going).
    const caughtUp = chunk.length === 0 || (!o.follow && src.snapshotRead() && wasRunning);
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
    const moved = async () => (o.live ? o.live() : isLive(ctx, id)) !== wasRunning || (await src.hasMore());
    await changed(ctx, id, path.dirname(file), o.signal, moved);
  }
}

/**
 * The bytes of a log in order across its files (runtime/log-files.ts): the rotated ones
 * (gunzipped), then the current one, followed across rotations by inode: a file is read to
 * its end once the log's path names another file, then the files after it are read, so a
 * rotation gives no gap and no duplicate. Files are held open once opened: pruning or
 * compressing them meanwhile changes nothing for this reader.
 */
class LogSource {
  private queue: LogFile[] = [];
  private cur?: { fh?: FileHandle; data?: Buffer; ino: number; seq?: number; offset: number };
  /** The last file read to its end: where a relisting continues. */
  private last?: { ino: number; seq?: number };
  /** The newest file when the read began, and its size then (a read without follow stops there). */
  private snapshotEnd?: { ino: number; size: number };

  constructor(
    private readonly file: string,
    private readonly rotating: boolean,
  ) {}

  private list(): Promise<LogFile[]> {
    if (this.rotating) return listLogFiles(this.file);
    return fsp.stat(this.file).then(
      (st) => [{ path: this.file, gz: false, ino: st.ino, size: st.size }],
      () => [],
    );
  }

  async open(fromEnd: boolean): Promise<void> {
    const files = await this.list();
    const newest = files.at(-1);
    if (newest) this.snapshotEnd = { ino: newest.ino, size: newest.size };
    this.queue = fromEnd ? (newest ? [newest] : []) : files;
    if (fromEnd && newest && (await this.openNext())) this.cur!.offset = newest.size;
  }

  /** The first file number this reader has still to read (undefined: it knows of none). */
  needsFrom(): number | undefined {
    const seqs = this.queue.map((f) => f.seq).filter((n): n is number => n !== undefined);
    if (seqs.length) return Math.min(...seqs);
    const at = this.cur?.seq ?? this.last?.seq;
    return at === undefined ? undefined : at + 1;
  }

  snapshotRead(): boolean {
    if (!this.snapshotEnd) return true;
    return this.cur?.ino === this.snapshotEnd.ino && this.cur.offset >= this.snapshotEnd.size;
  }

  /** The next chunk, or nothing when nothing more is there now. */
  async read(): Promise<Buffer> {
    for (;;) {
      if (!this.cur) {
        if (!this.queue.length) this.queue = this.after(await this.list());
        if (!this.queue.length) return EMPTY;
        await this.openNext();
        continue;
      }
      const chunk = await this.readCur();
      if (chunk.length) return chunk;
      if (this.queue.length) {
        await this.closeCur();
        continue;
      }
      if (!this.rotating) return EMPTY;
      // The newest file we know is final once the log's path names another one.
      const st = await fsp.stat(this.file).catch(() => undefined);
      if (!st || st.ino === this.cur.ino) return EMPTY;
      const rest = await this.readCur();
      if (rest.length) return rest;
      await this.closeCur();
      this.queue = this.after(await this.list());
    }
  }

  async hasMore(): Promise<boolean> {
    if (this.queue.length) return true;
    if (!this.cur) return this.after(await this.list()).length > 0;
    if (this.cur.data) return this.cur.offset < this.cur.data.length;
    const size = await this.cur.fh!.stat().then((s) => s.size, () => 0);
    if (size > this.cur.offset) return true;
    return this.rotating && (await fsp.stat(this.file).then((s) => s.ino !== this.cur?.ino, () => false));
  }

  async close(): Promise<void> {
    await this.closeCur();
  }

  /** The files after the last one read (all of them before the first). */
  private after(files: LogFile[]): LogFile[] {
    const last = this.last;
    if (!last) return files;
    const seq = files.find((f) => f.ino === last.ino)?.seq ?? last.seq;
    if (seq === undefined) return files.filter((f) => f.seq === undefined && f.ino !== last.ino);
    return files.filter((f) => f.ino !== last.ino && (f.seq === undefined || f.seq > seq));
  }

  private async openNext(): Promise<boolean> {
    const f = this.queue.shift()!;
    try {
      if (f.gz) this.cur = { data: await readLogFile(f), ino: f.ino, seq: f.seq, offset: 0 };
      else this.cur = { fh: await fsp.open(f.path, 'r'), ino: f.ino, seq: f.seq, offset: 0 };
      return true;
    } catch {
      // Gone meanwhile (compressed or pruned): read the files as they are now.
      this.queue = this.after(await this.list()).filter((g) => g.seq === undefined || f.seq === undefined || g.seq >= f.seq);
      return false;
    }
  }

  private async readCur(): Promise<Buffer> {
    const c = this.cur!;
    if (c.data) {
      const chunk = c.data.subarray(c.offset, c.offset + READ_CHUNK);
      c.offset += chunk.length;
      return chunk;
    }
    const { size } = await c.fh!.stat();
    if (size <= c.offset) return EMPTY;
    const buf = Buffer.alloc(Math.min(size - c.offset, READ_CHUNK));
    const { bytesRead } = await c.fh!.read(buf, 0, buf.length, c.offset);
    c.offset += bytesRead;
    return buf.subarray(0, bytesRead);
  }

  private async closeCur(): Promise<void> {
    const c = this.cur;
    if (!c) return;
    this.cur = undefined;
    this.last = { ino: c.ino, seq: c.seq };
    await c.fh?.close().catch(() => undefined);
  }
}

const EMPTY = Buffer.alloc(0);
const READ_CHUNK = 4 * 1024 * 1024;

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

function isLive(ctx: ReadLogsDeps, id: string): boolean {
  const s = ctx.views.containers.get(id)?.status;
  return s === 'running' || s === 'starting' || s === 'created';
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
async function changed(ctx: ReadLogsDeps, id: string, dir: string, signal?: AbortSignal, moved?: () => Promise<boolean>): Promise<void> {
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
