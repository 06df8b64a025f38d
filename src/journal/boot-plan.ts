import type { Damage } from './chain';
import type { HeadRecord } from './head-file';
import type { VerifyReport } from './journal';

/** What boot does with the journal it found. */
export interface BootPlan {
  /** Remove the records from this seq on: never acknowledged (a torn or failed write). */
  trimFrom?: bigint;
  trimmed: number;
  /** Damage that is not a torn tail: the daemon turns read-only and says this. */
  damage?: string;
  /** Worth a warning in the log, even when boot goes on. */
  warnings: string[];
}

/**
 * Pure: the chain as read (report) held against its anchor (the head file). Records after the
 * last acknowledged one may be dropped (they were never acknowledged: a write that failed, or
 * a crash between the write and the anchor); anything wrong at or before it is damage.
 */
export function planBoot(input: { report: VerifyReport; anchor?: HeadRecord; anchorUnreadable?: boolean; hashAtAnchor?: string }): BootPlan {
  const { report, anchor } = input;
  const warnings: string[] = [];
  if (input.anchorUnreadable) warnings.push('the journal head file is unreadable: the journal is checked by its chain alone');
  const damageText = (d: Damage) => `${d.problem} (the journal is intact up to record ${d.seq - 1n})`;
  if (!anchor) {
    if (report.damage) return { trimmed: 0, damage: damageText(report.damage), warnings };
    return { trimmed: 0, warnings };
  }
  const acked = anchor.seq;
  if (report.damage && report.damage.seq <= acked) return { trimmed: 0, damage: damageText(report.damage), warnings };
  if (report.head.seq < acked) {
    return { trimmed: 0, damage: `the journal ends at record ${report.head.seq} but record ${acked} was acknowledged: ${acked - report.head.seq} acknowledged record(s) are missing`, warnings };
  }
  if (input.hashAtAnchor !== undefined && input.hashAtAnchor !== anchor.hash) {
    return { trimmed: 0, damage: `record ${acked} is not the one acknowledged (its hash differs from the head file's)`, warnings };
  }
  // Beyond the acknowledged head: a failed write's records, or a broken chain, are a torn tail.
  let trimFrom: bigint | undefined;
  if (anchor.failedFrom !== undefined && report.head.seq >= anchor.failedFrom) trimFrom = anchor.failedFrom;
  if (report.damage) trimFrom = trimFrom === undefined || report.damage.seq < trimFrom ? report.damage.seq : trimFrom;
  if (trimFrom !== undefined) {
    warnings.push(`dropping the journal's tail from record ${trimFrom}: written after the last acknowledged record (${acked}) by a write that failed or was cut short${report.damage ? ` (${report.damage.problem})` : ''}`);
  }
  return { trimFrom, trimmed: 0, warnings };
}
