import { conflict, invalidArgument } from '../../domain/errors';
import { isRunning } from '../../domain/container';
import { getContainer } from '../lookup';

import type { EngineDeps } from '../ports';

/** What resize-container uses of the engine. */
export type ResizeContainerDeps = Pick<EngineDeps, 'views' | 'runtime'>;
/** Set a tty container's window size (docker run -t sets it at start, then follows the terminal). */
export async function resizeContainer(ctx: ResizeContainerDeps, ref: string, rows: number, cols: number): Promise<void> {
  const c = getContainer(ctx.views, ref);
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) throw invalidArgument('invalid terminal size');
  if (!isRunning(c)) throw conflict(`Container ${c.id} is not running`);
  if (!c.config.Tty) return; // Docker accepts and ignores a resize without a tty
  await ctx.runtime.resize(c.id, rows, cols).catch((e: Error) => {
    throw conflict(`cannot resize container ${c.id}: ${e.message}`);
  });
}
