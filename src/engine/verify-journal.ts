import { Views } from '../projections/views';
import type { EngineContext } from './context';

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
export async function verifyJournal(ctx: EngineContext): Promise<JournalCheck> {
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
  const viewsDifferences = differences(live, rebuilt);
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

/** Which parts of two snapshots differ: top-level views, and the keys of map entries within. */
function differences(live: Record<string, unknown>, rebuilt: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(live), ...Object.keys(rebuilt)])) {
    const a = live[key];
    const b = rebuilt[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (Array.isArray(a) && Array.isArray(b) && a.every((x) => Array.isArray(x) && x.length === 2)) {
      const am = new Map((a as [string, unknown][]).map(([k, v]) => [k, JSON.stringify(v)]));
      const bm = new Map((b as [string, unknown][]).map(([k, v]) => [k, JSON.stringify(v)]));
      for (const k of new Set([...am.keys(), ...bm.keys()])) {
        if (am.get(k) !== bm.get(k)) out.push(`${key}[${k}]: live ${am.get(k)?.slice(0, 300) ?? 'absent'} / rebuilt ${bm.get(k)?.slice(0, 300) ?? 'absent'}`);
        if (out.length >= 20) return out;
      }
    } else {
      out.push(`${key}: live ${JSON.stringify(a)?.slice(0, 300)} / rebuilt ${JSON.stringify(b)?.slice(0, 300)}`);
    }
  }
  return out;
}
