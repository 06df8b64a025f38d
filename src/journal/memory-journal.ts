import type { Envelope } from '../domain/envelope';
import { decode, type StoredEnvelope } from './codec';
import { Journal, type ReadRange, type StoredRecord } from './journal';
import { MonotonicClock } from './clock';

/** The journal in memory, for unit tests; same contract as LevelJournal. */
export class MemoryJournal extends Journal {
  private readonly log: StoredEnvelope[] = [];
  /** Tests set this to make the next persist fail (a full disk). */
  failNextWrites = 0;

  constructor(clock?: MonotonicClock) {
    super(clock);
  }

  protected async persist(records: StoredRecord[]): Promise<void> {
    if (this.failNextWrites > 0) {
      this.failNextWrites--;
      throw new Error('IO error: No space left on device');
    }
    this.log.push(...records.map((r) => structuredClone(r.stored)));
  }

  protected async loadLast(): Promise<StoredEnvelope | undefined> {
    return this.log[this.log.length - 1];
  }

  protected async readStored(seq: bigint): Promise<StoredEnvelope | undefined> {
    return this.log.find((s) => s.seq === seq.toString());
  }

  protected async *readStoredAll(afterSeq = 0n): AsyncIterable<{ key: bigint; stored: StoredEnvelope; envelope: Envelope }> {
    for (const s of this.log) if (BigInt(s.seq) > afterSeq) yield { key: BigInt(s.seq), stored: structuredClone(s), envelope: decode(s) };
  }

  async *read(range: ReadRange = {}): AsyncIterable<Envelope> {
    let n = 0;
    for (const s of this.log) {
      if (range.accept && !range.accept(s)) {
        if (BigInt(s.seq) > (range.afterSeq ?? 0n) && BigInt(s.time) >= (range.sinceTime ?? 0n)) {
          if (range.untilTime !== undefined && BigInt(s.time) > range.untilTime) return;
          range.onSkip?.(BigInt(s.seq));
        }
        continue;
      }
      const e = decode(structuredClone(s));
      if (range.afterSeq !== undefined && e.seq <= range.afterSeq) continue;
      if (range.sinceTime !== undefined && e.time < range.sinceTime) continue;
      if (range.untilTime !== undefined && e.time > range.untilTime) return;
      yield e;
      if (range.limit !== undefined && ++n >= range.limit) return;
    }
  }

  protected async reopenStorage(): Promise<void> {}

  protected async trimFrom(seq: bigint): Promise<number> {
    const i = this.log.findIndex((s) => BigInt(s.seq) >= seq);
    return i < 0 ? 0 : this.log.splice(i).length;
  }

  /** Tests: the stored records, to damage them. */
  get stored(): StoredEnvelope[] {
    return this.log;
  }

  protected async closeStorage(): Promise<void> {}
}
