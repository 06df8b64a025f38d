import { Views } from '../../projections/views';

import { snapshotDifferences, viewCounts, type RebuildReport } from '../../journal/audit';

import type { EngineDeps } from '../ports';

/** What verify-journal uses of the engine. */
export type VerifyJournalDeps = Pick<EngineDeps, 'journal' | 'views'>;
/** What `wharf journal verify` reports of the running daemon's journal and views. */
export interface JournalCheck {
  intact: boolean;
  records: number;
  legacy: number;
  /** The last record read through the chain. */
  head: { seq: bigint; hash: string };
  /** The last record the daemon acknowledged. */
  acknowledged: { seq: bigint; hash: string };
  firstBad?: bigint;
  problem?: string;
  /** Why writes are refused now, if they are. */
  writeBlock?: string;
  viewsMatch: boolean;
  viewsDifferences: string[];
}

/**
 * Read the whole journal through its hash chain, hold it against what the daemon acknowledged,
 * and rebuild the views from scratch to compare them with the live ones (at the same seq).
 */
export async function verifyJournal(ctx: VerifyJournalDeps): Promise<JournalCheck> {
  const atSeq = ctx.views.appliedSeq;
  const live = JSON.parse(ctx.views.snapshot()) as Record<string, unknown>;
  const acknowledged = ctx.journal.headOf;
  const report = await ctx.journal.verify();
  let problem = report.damage?.problem;
  let firstBad = report.damage?.seq;
  if (!report.damage && report.head.seq < acknowledged.seq) {
    firstBad = report.head.seq + 1n;
    problem = `the journal ends at record ${report.head.seq} but record ${acknowledged.seq} was acknowledged`;
  }
  const rebuilt = JSON.parse((await Views.replay(ctx.journal, atSeq)).snapshot()) as Record<string, unknown>;
  const viewsDifferences = snapshotDifferences(live, rebuilt);
  return {
    intact: !problem,
    records: report.records,
    legacy: report.legacy,
    head: report.head,
    acknowledged,
    ...(firstBad !== undefined ? { firstBad } : {}),
    ...(problem ? { problem } : {}),
    ...(ctx.journal.writeBlock ? { writeBlock: `${ctx.journal.writeBlock.kind}: ${ctx.journal.writeBlock.cause}` } : {}),
    viewsMatch: viewsDifferences.length === 0,
    viewsDifferences,
  };
}

/**
 * `wharf journal rebuild` on the running daemon: every projection rebuilt from the journal alone
 * (fresh views, the records up to the live views' seq) and compared with the live views.
 */
export async function rebuildAgainstLive(ctx: VerifyJournalDeps): Promise<RebuildReport> {
  const atSeq = ctx.views.appliedSeq;
  const live = JSON.parse(ctx.views.snapshot()) as Record<string, unknown>;
  const rebuilt = await Views.replay(ctx.journal, atSeq);
  const differences = snapshotDifferences(live, JSON.parse(rebuilt.snapshot()) as Record<string, unknown>);
  return { Seq: atSeq.toString(), Against: 'live', Equal: differences.length === 0, Counts: viewCounts(rebuilt), Differences: differences };
}
