import type { Envelope } from '../domain/envelope';
import { Journal, type ReadRange } from './journal';
import { MonotonicClock } from './clock';

/** The journal in memory, for unit tests; same contract as LevelJournal. */
export class MemoryJournal extends Journal {
  private readonly log: Envelope[] = [];

  constructor(clock?: MonotonicClock) {
    super(clock);
  }

  protected async persist(events: Envelope[]): Promise<void> {
    this.log.push(...events.map((e) => structuredClone(e)));
  }

  protected async loadLast(): Promise<Envelope | undefined> {
    return this.log[this.log.length - 1];
  }

  async *read(range: ReadRange = {}): AsyncIterable<Envelope> {
    let n = 0;
    for (const e of this.log) {
      if (range.afterSeq !== undefined && e.seq <= range.afterSeq) continue;
      if (range.sinceTime !== undefined && e.time < range.sinceTime) continue;
      if (range.untilTime !== undefined && e.time > range.untilTime) return;
      yield structuredClone(e);
      if (range.limit !== undefined && ++n >= range.limit) return;
    }
  }

  protected async closeStorage(): Promise<void> {}
}
