import { decideTag } from '../../domain/image-decisions';
import { getImage } from '../lookup';

import type { EngineDeps } from '../ports';

/** What tag-image uses of the engine. */
export type TagImageDeps = Pick<EngineDeps, 'journal' | 'views'>;
/** docker tag: decided on the image and the reference (domain/image-decisions), then recorded. */
export async function tagImage(ctx: TagImageDeps, source: string, repo: string, tag?: string): Promise<void> {
  const events = decideTag(getImage(ctx.views, source), repo, tag);
  await ctx.journal.append(events, { name: events[0].type === 'image.tagged' ? events[0].data.ref : undefined });
}
