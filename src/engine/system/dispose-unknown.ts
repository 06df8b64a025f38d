import { promises as fsp } from 'node:fs';


import type { EngineDeps } from '../ports';

/** What dispose-unknown uses of the engine. */
export type DisposeUnknownDeps = Pick<EngineDeps, 'log' | 'quarantine'>;
/**
 * A file a boot sweep found that no live record uses: deleted when the journal records its
 * removal, else moved to the quarantine, never deleted.
 */
export async function disposeUnknown(ctx: DisposeUnknownDeps, abs: string, removedByJournal: boolean, what: string): Promise<void> {
  if (removedByJournal) {
    await fsp.rm(abs, { recursive: true, force: true });
    return;
  }
  const dest = await ctx.quarantine.move(abs, `${what}; the journal does not know it`);
  ctx.log.warn({ path: abs, quarantine: dest }, 'moved a file the journal does not know to the quarantine');
}
