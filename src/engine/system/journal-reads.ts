import type { Envelope } from '../../domain/envelope';
export { auditFilters } from '../../journal/audit';
import { exportRecords, listBuilds, objectHistory, stateAt, type BuildRecord, type ExportedRecord, type ExportQuery, type ObjectHistory, type StateAt } from '../../journal/audit';
import type { ReadRange } from '../../journal/journal';
import { follow } from '../../journal/tail';
import type { EngineDeps } from '../ports';

// The questions the API asks of the journal (events, audit replay), answered by the engine: the
// routes never reach the journal themselves.

/** What the journal reads use of the engine. */
export type JournalReadsDeps = Pick<EngineDeps, 'journal'>;

/** The last record's sequence number: where a live-only events stream begins. */
export const lastSeq = (ctx: JournalReadsDeps): bigint => ctx.journal.lastSeq;

/** /events: the records in range, then each new one as it commits, until the signal (no gap, no duplicate). */
export function followRecords(ctx: JournalReadsDeps, range: ReadRange, signal: AbortSignal, onCaughtUp?: (seq: bigint) => void): AsyncIterable<Envelope> {
  return follow(ctx.journal, range, signal, onCaughtUp);
}

/** wharf journal export. */
export const exportJournal = (ctx: JournalReadsDeps, q: ExportQuery): AsyncIterable<ExportedRecord> => exportRecords(ctx.journal, q);

/** wharf journal at. */
export const journalAt = (ctx: JournalReadsDeps, untilTime: bigint): Promise<StateAt> => stateAt(ctx.journal, untilTime);

/** wharf journal history. */
export const journalHistory = (ctx: JournalReadsDeps, object: string): Promise<ObjectHistory> => objectHistory(ctx.journal, object);

/** wharf builds: the builds the journal recorded. */
export const buildHistory = (ctx: JournalReadsDeps): Promise<BuildRecord[]> => listBuilds(ctx.journal);
