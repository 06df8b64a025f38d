import { Observable } from 'rxjs';
import type { Envelope } from '../domain/envelope';
import type { JournalReader, ReadRange } from './journal';

/**
 * Follow the journal from a cursor: history first, then live, with no gap and no duplicate.
 * The consumer pulls: events are read from the journal at the consumer's pace, so a slow
 * consumer is never dropped and nothing is buffered for it beyond one page. `onCaughtUp` is
 * called with the cursor each time the records are read to their end (then the follow waits).
 */
export async function* follow(journal: JournalReader, range: ReadRange, signal?: AbortSignal, onCaughtUp?: (seq: bigint) => void): AsyncIterable<Envelope> {
  let cursor = range.afterSeq ?? 0n;
  let first = true;
  const PAGE = 512;
  let woken: Promise<boolean> | undefined;
  for (;;) {
    if (signal?.aborted) return;
    // A commit that lands while we read wakes us up; register before reading.
    woken ??= nextCommit(journal, range.untilTime, signal);
    let got = 0;
    const before = journal.lastSeq;
    // Records skipped by `accept` move the cursor too, so a rare type is not searched for again from far back.
    const onSkip = (seq: bigint) => {
      if (seq > cursor) cursor = seq;
    };
    const page = first
      ? { ...range, afterSeq: cursor, limit: PAGE, onSkip }
      : { afterSeq: cursor, untilTime: range.untilTime, limit: PAGE, accept: range.accept, onSkip };
    for await (const e of journal.read(page)) {
      if (range.untilTime !== undefined && e.time > range.untilTime) return;
      cursor = e.seq;
      got++;
      first = false;
      yield e;
    }
    if (got === PAGE) continue;
    if (first && got === 0 && range.sinceTime !== undefined) {
      // Nothing since the time yet: from now on, anything new qualifies.
      cursor = before;
      first = false;
    }
    // Everything written up to the cursor was read: what follows is live.
    onCaughtUp?.(cursor);
    const stop = await woken;
    woken = undefined;
    if (stop) return;
  }
}

/** Resolves false on the next commit; true when aborted, the journal closes or `until` passes. */
function nextCommit(journal: JournalReader, untilTime: bigint | undefined, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const sub = journal.committed$.subscribe({ next: () => done(false), complete: () => done(true) });
    const onAbort = () => done(true);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    if (untilTime !== undefined) {
      // A timer holds at most ~24.8 days: one that fires before `until` is a wake-up with nothing new.
      const ms = Number((untilTime - BigInt(Date.now()) * 1_000_000n) / 1_000_000n);
      const max = 2 ** 31 - 1;
      timer = setTimeout(() => done(ms + 1 <= max), Math.max(0, Math.min(ms + 1, max)));
    }
    function done(v: boolean) {
      if (timer) clearTimeout(timer);
      sub.unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    }
  });
}

/** The same cursor as an rxjs Observable. */
export function tail$(journal: JournalReader, range: ReadRange): Observable<Envelope> {
  return new Observable<Envelope>((sub) => {
    const ac = new AbortController();
    void (async () => {
      try {
        for await (const e of follow(journal, range, ac.signal)) sub.next(e);
        sub.complete();
      } catch (err) {
        sub.error(err);
      }
    })();
    return () => ac.abort();
  });
}
