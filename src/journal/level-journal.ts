import fs from 'node:fs';
import path from 'node:path';
import { Level } from 'level';
import type { Envelope } from '../domain/envelope';
import { EMPTY_HEAD, type ChainHead } from './chain';
import { decode, hex16, type StoredEnvelope } from './codec';
import { HeadFile, type HeadRecord } from './head-file';
import { planBoot, type BootPlan } from './boot-plan';
import { Journal, type ReadRange, type StoredRecord, type VerifyReport } from './journal';

/** Why the journal could not be opened; `kind` says what the operator can do. */
export class JournalOpenError extends Error {
  constructor(
    readonly kind: 'in-use' | 'no-space' | 'damaged' | 'io',
    message: string,
  ) {
    super(message);
    this.name = 'JournalOpenError';
  }
}

export interface BootReport extends BootPlan {
  records: number;
  legacy: number;
  /** The head file's record, as found. */
  anchor?: HeadRecord | 'unreadable';
}

/**
 * The journal on LevelDB. Keys: "e!<seq hex>" → envelope; "t!<time hex>" → seq hex, a time
 * index so that --since seeks instead of scanning. Writes are synchronous (fsync) batches.
 * Beside the database: `<location>.head`, the chain's anchor (head-file.ts), and, during an
 * open, `<location>.preopen`, hard links to the log files as they were before LevelDB's
 * recovery rewrote them (kept when the journal turns out damaged, as evidence).
 */
export class LevelJournal extends Journal {
  // Made in open(): abstract-level opens a database on its own right after construction, with
  // the constructor's options, so a Level made before the checks would create a fresh,
  // empty database where CURRENT is missing.
  private db!: Level<string, unknown>;
  readonly headFile: HeadFile;
  readonly preopenDir: string;

  constructor(readonly location: string) {
    super();
    this.headFile = new HeadFile(`${location}.head`);
    this.preopenDir = `${location}.preopen`;
  }

  async open(): Promise<void> {
    const files = fs.existsSync(this.location) ? fs.readdirSync(this.location) : [];
    const anchor = HeadFile.read(this.headFile.file);
    const fresh = !files.some((f) => f !== 'LOG' && f !== 'LOG.old' && f !== 'LOCK');
    if (fresh && anchor && anchor !== 'unreadable' && anchor.seq > 0n) {
      throw new JournalOpenError('damaged', `the journal in ${this.location} is missing or empty, but ${this.headFile.file} says ${anchor.seq} records were acknowledged; it is damage, not a new data root. Restore the journal directory, or move ${this.headFile.file} away to start with an empty journal`);
    }
    if (!fresh && !files.includes('CURRENT')) {
      throw new JournalOpenError('damaged', `the journal in ${this.location} has no CURRENT file (its files are there: ${files.filter((f) => f !== 'LOCK').slice(0, 6).join(', ')}...); it is damaged, not empty. Nothing was changed. Rebuild it from its files with: wharf journal repair --data-root ${path.dirname(this.location)}`);
    }
    if (!fresh) this.keepPreopenLogs(files);
    this.db = new Level<string, unknown>(this.location, { valueEncoding: 'json', createIfMissing: fresh });
    try {
      await this.db.open({ createIfMissing: fresh });
    } catch (e) {
      throw classifyOpenError(e as Error, this.location);
    }
    await super.open();
  }

  /** Hard links to the log and manifest as they are before LevelDB's recovery replaces them. */
  private keepPreopenLogs(files: string[]): void {
    // Evidence from an earlier damaged open is kept as it is until a clean boot.
    if (fs.existsSync(this.preopenDir)) return;
    try {
      fs.mkdirSync(this.preopenDir, { mode: 0o700 });
      for (const f of files) {
        if (/\.log$|^MANIFEST-|^CURRENT$/.test(f)) fs.linkSync(path.join(this.location, f), path.join(this.preopenDir, f));
      }
    } catch {
      // evidence only: a full disk or a filesystem without links leaves it out
    }
  }

  /**
   * Boot: read every record through the chain (each sound record goes to onRecord), hold the
   * result against the head file, trim an unacknowledged torn tail, and turn the journal
   * read-only on any other damage. Returns what it found and did. With `from` (a checkpoint's
   * seq and hash, accepted by startingPoint()), only the records after it are read and checked.
   */
  async boot(onRecord: (e: Envelope) => void, from?: ChainHead): Promise<BootReport> {
    const { report, anchor, plan } = await this.check(onRecord, from);
    const known = anchor === 'unreadable' ? undefined : anchor;
    let trimmed = 0;
    if (plan.trimFrom !== undefined) trimmed = await this.trimFrom(plan.trimFrom);
    if (plan.damage) {
      this.setReadOnly(plan.damage);
      // What was acknowledged, as far as the head file knows: verify holds the journal against it.
      if (known && known.seq > this.head.seq) this.head = { seq: known.seq, hash: known.hash };
    } else {
      const last = await this.loadLast();
      this.seq = last ? BigInt(last.seq) : 0n;
      this.head = last ? { seq: this.seq, hash: last.h ?? EMPTY_HEAD.hash } : EMPTY_HEAD;
      this.headFile.write(this.head);
      fs.rmSync(this.preopenDir, { recursive: true, force: true });
    }
    return { ...plan, trimmed, records: report.records, legacy: report.legacy, anchor };
  }

  /**
   * Whether boot may start from a checkpoint taken at `from` (its seq, and the hash of the
   * record at that seq): undefined when it may, else why not. The record there must be in the
   * journal with that very hash (a checkpoint belongs to one history: not one of a journal
   * repaired, replaced or restored since), at or before the last acknowledged record and
   * before any failed write, with a readable anchor (else only the whole chain is trusted).
   */
  async startingPoint(from: ChainHead): Promise<string | undefined> {
    const anchor = HeadFile.read(this.headFile.file);
    if (anchor === 'unreadable') return 'the journal head file is unreadable: the whole chain is read';
    if (from.seq === 0n) return 'it is at record 0';
    if (anchor && from.seq > anchor.seq) return `it is at record ${from.seq}, after the last acknowledged one (${anchor.seq})`;
    if (anchor?.failedFrom !== undefined && from.seq >= anchor.failedFrom) return `it is at record ${from.seq}, in a write that failed (from ${anchor.failedFrom})`;
    let stored: StoredEnvelope | undefined;
    try {
      stored = await this.readStored(from.seq);
    } catch {
      stored = undefined;
    }
    if (!stored) return `record ${from.seq} is not in the journal (it ends before it)`;
    if ((stored.h ?? EMPTY_HEAD.hash) !== from.hash) return `record ${from.seq} of the journal has another hash: the checkpoint belongs to another history of the journal`;
    return undefined;
  }

  /**
   * Read every record through the chain and hold it against the head file: what boot and an
   * offline verify both judge from. Sound records go to onRecord, but those of a write that
   * failed (never acknowledged).
   */
  async check(onRecord?: (e: Envelope) => void, from?: ChainHead): Promise<{ report: VerifyReport; anchor?: HeadRecord | 'unreadable'; plan: BootPlan }> {
    const anchor = HeadFile.read(this.headFile.file);
    const known = anchor === 'unreadable' ? undefined : anchor;
    let hashAtAnchor = known?.seq === 0n ? EMPTY_HEAD.hash : from && known?.seq === from.seq ? from.hash : undefined;
    const applyUntil = known?.failedFrom !== undefined ? known.failedFrom - 1n : undefined;
    const report = await this.verify((e, stored) => {
      if (known && e.seq === known.seq) hashAtAnchor = stored.h ?? EMPTY_HEAD.hash;
      if (applyUntil === undefined || e.seq <= applyUntil) onRecord?.(e);
    }, from);
    return { report, anchor, plan: planBoot({ report, anchor: known, anchorUnreadable: anchor === 'unreadable', hashAtAnchor }) };
  }

  protected async *readStoredAll(afterSeq = 0n): AsyncIterable<{ key: bigint; stored: StoredEnvelope; envelope: Envelope }> {
    for await (const [k, v] of this.db.iterator({ gt: afterSeq > 0n ? `e!${hex16(afterSeq)}` : 'e!', lt: 'e"' })) {
      const stored = v as StoredEnvelope;
      let envelope: Envelope;
      try {
        envelope = decode(stored);
      } catch {
        envelope = { seq: BigInt(`0x${k.slice(2)}`) } as Envelope;
      }
      yield { key: BigInt(`0x${k.slice(2)}`), stored, envelope };
    }
  }

  protected async readStored(seq: bigint): Promise<StoredEnvelope | undefined> {
    return (await this.db.get(`e!${hex16(seq)}`)) as StoredEnvelope | undefined;
  }

  protected async persist(records: StoredRecord[]): Promise<void> {
    // The record's JSON as it was hashed, written as it is (no second serialisation).
    const ops = records.flatMap(({ envelope: e, json }): { type: 'put'; key: string; value: string; valueEncoding: 'utf8' }[] => [
      { type: 'put', key: `e!${hex16(e.seq)}`, value: json, valueEncoding: 'utf8' },
      { type: 'put', key: `t!${hex16(e.time)}`, value: JSON.stringify(hex16(e.seq)), valueEncoding: 'utf8' },
    ]);
    await this.db.batch(ops, { sync: true });
  }

  protected acknowledged(head: { seq: bigint; hash: string }): void {
    try {
      this.headFile.write(head);
    } catch {
      // the anchor is a second witness: the journal itself is durable already
    }
  }

  protected onWriteFailed(): void {
    try {
      this.headFile.write({ ...this.head, failedFrom: this.failedFrom });
    } catch {
      // the boot check also finds an unacknowledged tail by its broken chain
    }
  }

  protected async reopenStorage(): Promise<void> {
    await this.db.close().catch(() => undefined);
    try {
      await this.db.open({ createIfMissing: false });
    } catch (e) {
      throw classifyOpenError(e as Error, this.location);
    }
  }

  /** Repair: remove every record from the first bad one on (the intact prefix stays). */
  trimAfterDamage(seq: bigint): Promise<number> {
    return this.trimFrom(seq);
  }

  protected async trimFrom(seq: bigint): Promise<number> {
    const ops: { type: 'del'; key: string }[] = [];
    for await (const [k, v] of this.db.iterator({ gte: `e!${hex16(seq)}`, lt: 'e"' })) {
      ops.push({ type: 'del', key: k });
      const time = (v as StoredEnvelope | undefined)?.time;
      if (time !== undefined && /^\d+$/.test(String(time))) ops.push({ type: 'del', key: `t!${hex16(BigInt(time))}` });
    }
    if (ops.length) await this.db.batch(ops, { sync: true });
    return ops.filter((o) => o.key.startsWith('e!')).length;
  }

  protected async loadLast(): Promise<StoredEnvelope | undefined> {
    for await (const v of this.db.values({ gt: 'e!', lt: 'e"', reverse: true, limit: 1 })) return v as StoredEnvelope;
    return undefined;
  }

  private async seqAtTime(since: bigint): Promise<bigint | undefined> {
    for await (const v of this.db.values({ gte: `t!${hex16(since)}`, lt: 't"', limit: 1 })) return BigInt(`0x${v as string}`);
    return undefined;
  }

  async *read(range: ReadRange = {}): AsyncIterable<Envelope> {
    let after = range.afterSeq ?? 0n;
    if (range.sinceTime !== undefined) {
      const first = await this.seqAtTime(range.sinceTime);
      if (first === undefined) return;
      if (first - 1n > after) after = first - 1n;
    }
    let n = 0;
    // Read in chunks (one native call per chunk, not per record); a record the reader does
    // not accept is skipped before it is decoded.
    const it = this.db.values({ gt: `e!${hex16(after)}`, lt: 'e"' });
    try {
      for (;;) {
        const chunk = (await it.nextv(256)) as StoredEnvelope[];
        if (chunk.length === 0) return;
        for (const v of chunk) {
          if (range.accept && !range.accept(v)) {
            if (range.untilTime !== undefined && BigInt(v.time) > range.untilTime) return;
            range.onSkip?.(BigInt(v.seq));
            continue;
          }
          const e = decode(v);
          if (range.untilTime !== undefined && e.time > range.untilTime) return;
          yield e;
          if (range.limit !== undefined && ++n >= range.limit) return;
        }
      }
    } finally {
      await it.close();
    }
  }

  protected async closeStorage(): Promise<void> {
    this.headFile.close();
    await this.db?.close();
  }
}

/** LevelDB's open errors, told apart: another daemon, a full disk, damage, other I/O. */
export function classifyOpenError(e: Error, location: string): JournalOpenError {
  const text = `${e.message} ${(e.cause as Error | undefined)?.message ?? ''}`;
  if (/No space left on device|ENOSPC/i.test(text)) {
    return new JournalOpenError('no-space', `cannot open the journal in ${location}: no space left on its filesystem (${text.trim()}). Free space there and start wharfd again; nothing acknowledged is lost`);
  }
  if (/\block\b|Resource temporarily unavailable|LOCK/i.test(text) && !/Corruption/i.test(text)) {
    return new JournalOpenError('in-use', `cannot open the journal in ${location}: it is locked by another process (is another wharfd using this data root?): ${text.trim()}`);
  }
  if (/Corruption|corrupt|does not exist|CURRENT/i.test(text)) {
    return new JournalOpenError('damaged', `the journal in ${location} is damaged (${text.trim()}); nothing was changed. See wharf journal verify and wharf journal repair`);
  }
  return new JournalOpenError('io', `cannot open the journal in ${location}: ${text.trim()}`);
}
