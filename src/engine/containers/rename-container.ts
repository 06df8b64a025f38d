import { decideRename } from '../../domain/container';
import { invalidArgument } from '../../domain/errors';
import { validContainerName } from '../../domain/ids';
import { appendFor, getContainer } from '../lookup';
import { crashPoint } from '../lib/crash-point';

import type { EngineDeps } from '../ports';

/** What rename-container uses of the engine. */
export type RenameContainerDeps = Pick<EngineDeps, 'journal' | 'views' | 'locks'>;
export async function renameContainer(ctx: RenameContainerDeps, ref: string, name: string): Promise<void> {
  if (!name || !validContainerName(name)) throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const c = getContainer(ctx.views, ref);
  const newName = name.replace(/^\//, '');
  await ctx.locks.run(`name:${newName}`, async () => {
    const events = decideRename(c, newName, ctx.views.names.get(newName));
    await appendFor(ctx, { ...c, name: newName }, events);
    crashPoint('rename.after-event');
  });
}
