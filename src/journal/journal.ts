import { Subject } from 'rxjs';
import type { Envelope } from '../domain/envelope';
import { WharfError } from '../domain/errors';
import { EVENT_VERSION, streamOf, type WharfEvent } from '../domain/events';
import { ChainVerifier, EMPTY_HEAD, hashOfBody, type ChainHead, type Damage } from './chain';
import { MonotonicClock } from './clock';
import { decode, encode, type StoredEnvelope } from './codec';
import { outsideActor } from './actor';

export interface ReadRange {
  /** Events with seq strictly greater than this. */
  afterSeq?: bigint;
  /** Events with time >= sinceTime (nanoseconds). */
  sinceTime?: bigint;
  /** Events with time <= untilTime (nanoseconds). */
  untilTime?: bigint;
  limit?: number;
  /**
   * Only records this accepts, judged as stored (before upcasting: type names and ids stay);
   * the others are skipped before they are decoded, each reported to onSkip.
   */
  accept?: (stored: StoredEnvelope) => boolean;
  /** A record left out by `accept` was passed over (a follower's cursor moves past it). */
  onSkip?: (seq: bigint) => void;
}

/** Checks an event against its type's schema: undefined when it matches, else why not. */
export type EventValidator = (e: Envelope) => string | undefined;

/** A record as stored, with its envelope. */
export interface StoredRecord {
  envelope: Envelope;
  stored: StoredEnvelope;
  /** `stored` as JSON, serialised once for both its hash and the database. */
  json: string;
}

/** Why the journal refuses writes: a failed write (until reopened and verified) or damage. */
export interface WriteBlock {
  kind: 'write-failed' | 'damaged';
  cause: string;
  since: string;
}

/** The result of reading the whole journal through the chain. */
export interface VerifyReport {
  records: number;
  /** Records an older Wharf wrote before the chain existed (checked by LevelDB only). */
  legacy: number;
  head: ChainHead;
  damage?: Damage;
}

/**
 * The journal: an append-only, totally ordered log of facts, each record chained to the one
 * before it by its hash. Appends are group-committed: every append that arrives while a write
 * is in flight goes into the next single durable batch, so concurrent operations share one
 * fsync. After a failed write nothing more is acknowledged: every append is refused until the
 * storage is reopened and its tail checked against what was acknowledged (reopen()).
 */
/** What readers of the journal use: ranges of records, and word of each commit. */
export type JournalReader = Pick<Journal, 'read' | 'lastSeq' | 'committed$'>;

export abstract class Journal {
  /** Every committed batch, in order, synchronously after it is durable (projections hang here). */
  readonly committed$ = new Subject<Envelope[]>();
  protected seq = 0n;
  /** The last acknowledged record. */
  protected head: ChainHead = EMPTY_HEAD;
  private readonly clock: MonotonicClock;
  private pending: { events: WharfEvent[]; meta?: Record<string, unknown>; resolve: (e: Envelope[]) => void; reject: (e: unknown) => void }[] = [];
  private writing = false;
  private closed = false;
  private block?: WriteBlock;
  /** Seq of the first record of the batch whose write failed: anything from it on was never acknowledged. */
  protected failedFrom?: bigint;
  validator?: EventValidator;
  /**
   * Who is asking (actor.ts currentActor): when set, every append's meta gets `by`, read when
   * append is called (in the caller's async context, not the batch's).
   */
  actor?: () => object;

  constructor(clock = new MonotonicClock()) {
    this.clock = clock;
  }

  get lastSeq(): bigint {
    return this.seq;
  }

  /** The last acknowledged record's seq and hash. */
  get headOf(): ChainHead {
    return this.head;
  }

  /** Why writes are refused, if they are. */
  get writeBlock(): WriteBlock | undefined {
    return this.block;
  }

  /** Open storage, recover seq, the head of the chain and the last timestamp. */
  async open(): Promise<void> {
    const last = await this.loadLast();
    if (last) {
      this.seq = BigInt(last.seq);
      this.head = { seq: this.seq, hash: last.h ?? EMPTY_HEAD.hash };
      this.clock.observe(BigInt(last.time));
    }
  }

  /** Refuse every write from now on (damage found): reads go on. */
  setReadOnly(cause: string): void {
    this.block = { kind: 'damaged', cause, since: new Date().toISOString() };
  }

  append(events: WharfEvent[], meta?: Record<string, unknown>): Promise<Envelope[]> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    if (events.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pending.push({ events, meta: this.stamped(meta), resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  /**
   * Several appends, each with its own meta, committed in one durable batch: after a crash
   * either all of them are in the journal or none is.
   */
  appendAll(groups: { events: WharfEvent[]; meta?: Record<string, unknown> }[]): Promise<Envelope[][]> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    const done = groups.map((g) => new Promise<Envelope[]>((resolve, reject) => this.pending.push({ ...g, meta: this.stamped(g.meta), resolve, reject })));
    if (!this.writing) void this.flush();
    return Promise.all(done);
  }

  /** meta with who asked (meta.by), when the journal has an actor source. */
  private stamped(meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    if (!this.actor) return meta;
    let by: object | undefined;
    try {
      by = this.actor();
    } catch {
      by = undefined;
    }
    return by ? { ...(meta ?? {}), by: { ...by } } : meta;
  }

  private refusal(): Error | undefined {
    if (this.closed) return new WharfError('unavailable', 'the journal is closed (the daemon is shutting down)');
    if (this.block?.kind === 'write-failed') {
      return new WharfError('unavailable', `the journal refuses writes since a write failed at ${this.block.since} (${this.block.cause}); it is reopened and checked as soon as it can be written again`);
    }
    if (this.block?.kind === 'damaged') {
      return new WharfError('unavailable', `the journal is damaged (${this.block.cause}); the daemon is read-only until it is repaired (wharf journal verify, wharf journal repair)`);
    }
    return undefined;
  }

  private invalid(g: { events: WharfEvent[]; meta?: Record<string, unknown> }): string | undefined {
    if (!this.validator) return undefined;
    for (const e of g.events) {
      const why = this.validator({ ...e, seq: 0n, time: 0n, v: EVENT_VERSION[e.type], stream: streamOf(e), ...(g.meta ? { meta: g.meta } : {}) } as Envelope);
      if (why) return `${e.type}: ${why}`;
    }
    return undefined;
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.pending.length > 0) {
      const refused = this.refusal();
      if (refused) {
        for (const g of this.pending.splice(0)) g.reject(refused);
        break;
      }
      // A record that does not match its schema is never written: its caller alone is refused.
      const group = this.pending.splice(0).filter((g) => {
        const why = this.invalid(g);
        if (why) g.reject(new WharfError('internal', `refusing to record an event that does not match its schema: ${why}`));
        return !why;
      });
      if (group.length === 0) continue;
      const startSeq = this.seq;
      let prev = this.head.hash;
      const batches = group.map((g) =>
        g.events.map((e): StoredRecord => {
          const envelope = {
            ...e,
            seq: ++this.seq,
            time: this.clock.now(),
            v: EVENT_VERSION[e.type],
            stream: streamOf(e),
            ...(g.meta ? { meta: g.meta } : {}),
          } as Envelope;
          const stored = encode(envelope);
          const body = JSON.stringify(stored);
          stored.h = hashOfBody(prev, body);
          prev = stored.h;
          return { envelope, stored, json: `${body.slice(0, -1)},"h":"${stored.h}"}` };
        }),
      );
      const all = batches.flat();
      try {
        await this.persist(all);
      } catch (err) {
        this.seq = startSeq;
        this.failedFrom = startSeq + 1n;
        this.block = { kind: 'write-failed', cause: (err as Error).message, since: new Date().toISOString() };
        this.onWriteFailed(err as Error);
        const refused = this.refusal() as Error;
        for (const g of group) g.reject(refused);
        for (const g of this.pending.splice(0)) g.reject(refused);
        break;
      }
      this.head = { seq: this.seq, hash: prev };
      this.acknowledged(this.head);
      const envelopes = all.map((r) => r.envelope);
      // Subscribers (views, health checks, waiters) act for no one in particular: what they
      // schedule is the daemon's doing, not the doing of the request whose append started this flush.
      outsideActor(() => this.committed$.next(envelopes));
      group.forEach((g, i) => g.resolve(batches[i].map((r) => r.envelope)));
    }
    this.writing = false;
  }

  /**
   * Restore records as another journal stored them (their own seq, time, type, version, stream,
   * data and meta, e.g. from `wharf journal export`) into this empty journal, in one durable
   * batch, chained anew. Each is checked against its type's schema at its own version (kept as
   * it was: upcasting happens when it is read) and must follow the one before: seqs from 1
   * without a gap, times rising. Nothing is written when one is refused.
   */
  async restore(records: readonly StoredEnvelope[]): Promise<ChainHead> {
    const refused = this.refusal();
    if (refused) throw refused;
    if (this.seq !== 0n || this.writing || this.pending.length) throw new WharfError('conflict', `records are restored only into an empty journal (this one holds ${this.seq})`);
    let prev = this.head.hash;
    let lastTime = -1n;
    const all = records.map((r, i): StoredRecord => {
      const at = `record ${i + 1}`;
      if (!/^\d+$/.test(String(r.seq)) || BigInt(r.seq) !== BigInt(i + 1)) throw new WharfError('invalid-argument', `${at} holds seq ${String(r.seq)}: restored records start at 1 and leave no gap`);
      if (!/^\d+$/.test(String(r.time)) || BigInt(r.time) <= lastTime) throw new WharfError('invalid-argument', `${at}: its time ${String(r.time)} is not after the one before`);
      lastTime = BigInt(r.time);
      if (typeof r.type !== 'string' || !Number.isInteger(r.v) || typeof r.stream !== 'string') throw new WharfError('invalid-argument', `${at} has no type, version or stream`);
      const stored: StoredEnvelope = { seq: String(r.seq), time: String(r.time), type: r.type, v: r.v, stream: r.stream, data: r.data, ...(r.meta ? { meta: r.meta } : {}) };
      const why = this.validator?.({ ...stored, seq: BigInt(stored.seq), time: lastTime } as unknown as Envelope);
      if (why) throw new WharfError('invalid-argument', `${at} (${r.type} v${r.v}) does not match its schema: ${why}`);
      const body = JSON.stringify(stored);
      const h = hashOfBody(prev, body);
      prev = h;
      return { envelope: decode(stored), stored: { ...stored, h }, json: `${body.slice(0, -1)},"h":"${h}"}` };
    });
    if (all.length === 0) return this.head;
    await this.persist(all);
    this.seq = BigInt(all.length);
    this.clock.observe(lastTime);
    this.head = { seq: this.seq, hash: prev };
    this.acknowledged(this.head);
    outsideActor(() => this.committed$.next(all.map((r) => r.envelope)));
    return this.head;
  }

  /**
   * After a failed write: reopen the storage, drop what was written of the failed batch (never
   * acknowledged) and check that the last acknowledged record is there, intact. Writes are
   * accepted again only when that holds. Returns what it found.
   */
  async reopen(): Promise<{ ok: boolean; trimmed: number; problem?: string }> {
    if (this.block?.kind !== 'write-failed') return { ok: true, trimmed: 0 };
    while (this.writing) await new Promise((r) => setTimeout(r, 5));
    await this.reopenStorage();
    const trimmed = this.failedFrom !== undefined ? await this.trimFrom(this.failedFrom) : 0;
    const at = await this.readStored(this.head.seq);
    const last = await this.loadLast();
    const lastSeq = last ? BigInt(last.seq) : 0n;
    let problem: string | undefined;
    if (lastSeq < this.head.seq) problem = `the journal ends at record ${lastSeq} but record ${this.head.seq} was acknowledged`;
    else if (this.head.seq > 0n && (!at || (at.h ?? EMPTY_HEAD.hash) !== this.head.hash)) problem = `record ${this.head.seq} is not the one acknowledged`;
    if (problem) {
      this.block = { kind: 'damaged', cause: problem, since: new Date().toISOString() };
      return { ok: false, trimmed, problem };
    }
    this.seq = this.head.seq;
    this.failedFrom = undefined;
    this.block = undefined;
    this.acknowledged(this.head);
    return { ok: true, trimmed };
  }

  /**
   * Read every record through the chain, up to the first damage. With `from` (a record's seq
   * and hash, trusted: a checkpoint's link), only the records after it are read, chained on
   * from that hash.
   */
  async verify(onRecord?: (e: Envelope, stored: StoredEnvelope) => void, from?: ChainHead): Promise<VerifyReport> {
    const v = new ChainVerifier(from);
    for await (const r of this.readStoredAll(from?.seq)) {
      const damage = v.check(r.key, r.stored);
      if (damage) return { records: v.count, legacy: v.legacy, head: v.head, damage };
      onRecord?.(r.envelope, r.stored);
    }
    return { records: v.count, legacy: v.legacy, head: v.head };
  }

  async close(): Promise<void> {
    while (this.writing) await new Promise((r) => setTimeout(r, 5));
    this.closed = true;
    this.committed$.complete();
    await this.closeStorage();
  }

  /** Events in log order within a range. */
  abstract read(range?: ReadRange): AsyncIterable<Envelope>;
  /** Every stored record in key order, as stored (those after `afterSeq` when given). */
  protected abstract readStoredAll(afterSeq?: bigint): AsyncIterable<{ key: bigint; stored: StoredEnvelope; envelope: Envelope }>;
  protected abstract readStored(seq: bigint): Promise<StoredEnvelope | undefined>;
  protected abstract persist(records: StoredRecord[]): Promise<void>;
  protected abstract loadLast(): Promise<StoredEnvelope | undefined>;
  protected abstract closeStorage(): Promise<void>;
  /** Close and open the storage again (LevelDB latches some errors until then). */
  protected abstract reopenStorage(): Promise<void>;
  /** Remove the records from seq on; how many there were. */
  protected abstract trimFrom(seq: bigint): Promise<number>;
  /** A batch is durable and acknowledged: the storage may note the head elsewhere. */
  protected acknowledged(_head: ChainHead): void {}
  protected onWriteFailed(_err: Error): void {}
}
