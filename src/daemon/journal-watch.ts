import { promises as fsp } from 'node:fs';
import type { Logger } from 'pino';
import type { Journal } from '../journal/journal';

/**
 * After a failed write (a full disk...) the journal refuses every write. Every `everyMs`, once
 * the data root has free space again, this tries to reopen it and check its tail against what was acknowledged; once that holds, writes
 * are accepted again and `settle` finishes what the failure cut short. Returns a stop function.
 */
export function watchJournal(journal: Journal, dir: string, log: Logger, settle: () => Promise<void>, everyMs = 2000): () => void {
  let busy = false;
  let lastCause = '';
  const timer = setInterval(() => {
    const block = journal.writeBlock;
    if (busy || block?.kind !== 'write-failed') return;
    if (block.cause !== lastCause) {
      lastCause = block.cause;
      log.error({ cause: block.cause, since: block.since }, 'a journal write failed: writes are refused until the journal is reopened and verified');
    }
    busy = true;
    void (async () => {
      try {
        // Reopening needs room for LevelDB's new log and manifest: wait for a reserve of free space
        // (a closed database that cannot open again would stop the reads too).
        if (!(await hasReserve(dir))) return;
        const r = await journal.reopen();
        if (r.ok) {
          lastCause = '';
          log.warn({ trimmed: r.trimmed, head: journal.headOf.seq.toString() }, 'the journal was reopened and verified: writes are accepted again');
          await settle().catch((e: Error) => log.error({ err: e.message }, 'settling operations after the journal came back failed'));
        } else {
          log.error({ problem: r.problem }, 'the journal was reopened but is damaged: the daemon stays read-only');
        }
      } catch (e) {
        log.debug({ err: (e as Error).message }, 'the journal cannot be reopened yet');
      } finally {
        busy = false;
      }
    })();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Free space of at least 16 MiB, or 5 % of a smaller filesystem. */
async function hasReserve(dir: string): Promise<boolean> {
  const st = await fsp.statfs(dir).catch(() => undefined);
  if (!st) return true;
  const free = st.bavail * st.bsize;
  return free >= Math.min(16 * 1024 * 1024, (st.blocks * st.bsize) / 20);
}
