import type { Readable } from 'node:stream';
import { packContents } from '../../storage/tar-pack';
import { withRootfs } from './container-rootfs';


import type { EngineDeps } from '../ports';

/** What export-container uses of the engine. */
export type ExportContainerDeps = Pick<EngineDeps, 'views' | 'storage' | 'images' | 'log' | 'locks'>;
/**
 * export: a tar of the container's whole filesystem (image layers and its changes, as the
 * container sees them; no mounts), names relative to its root as Docker's are. A stopped
 * container's root is mounted for the time of the export.
 */
export async function exportContainer(ctx: ExportContainerDeps, ref: string, send: (tar: Readable) => Promise<void>): Promise<void> {
  await withRootfs(ctx, ref, async ({ root }) => {
    const { stream, done } = packContents(root, {});
    const failed = done.then(() => undefined, (e: Error) => e);
    await send(stream);
    const err = await failed;
    if (err) ctx.log.debug({ ref, err: err.message }, 'export stream ended early');
  });
}
