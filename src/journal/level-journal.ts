import { Level } from 'level';
import type { Envelope } from '../domain/envelope';
import { decode, encode, hex16, type StoredEnvelope } from './codec';
import { Journal, type ReadRange } from './journal';

/**
 * The journal on LevelDB. Keys: "e!<seq hex>" → envelope; "t!<time hex>" → seq hex, a time
 * index so that --since seeks instead of scanning. Writes are synchronous (fsync) batches.
 */
export class LevelJournal extends Journal {
  private readonly db: Level<string, unknown>;

  constructor(readonly location: string) {
    super();
    this.db = new Level<string, unknown>(location, { valueEncoding: 'json' });
  }

  async open(): Promise<void> {
    await this.db.open();
    await super.open();
  }

  protected async persist(events: Envelope[]): Promise<void> {
    const ops = events.flatMap((e): { type: 'put'; key: string; value: unknown }[] => [
      { type: 'put', key: `e!${hex16(e.seq)}`, value: encode(e) },
      { type: 'put', key: `t!${hex16(e.time)}`, value: hex16(e.seq) },
    ]);
    await this.db.batch(ops, { sync: true });
  }

  protected async loadLast(): Promise<Envelope | undefined> {
    for await (const v of this.db.values({ gt: 'e!', lt: 'e"', reverse: true, limit: 1 })) return decode(v as StoredEnvelope);
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
    for await (const v of this.db.values({ gt: `e!${hex16(after)}`, lt: 'e"' })) {
      const e = decode(v as StoredEnvelope);
      if (range.untilTime !== undefined && e.time > range.untilTime) return;
      yield e;
      if (range.limit !== undefined && ++n >= range.limit) return;
    }
  }

  protected async closeStorage(): Promise<void> {
    await this.db.close();
  }
}
