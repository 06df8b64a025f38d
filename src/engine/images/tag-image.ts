import { checkTag, checkTaggable, familiarString, parseReference } from '../../domain/reference';
import { invalidArgument } from '../../domain/errors';
import { getImage } from '../lookup';

import type { EngineDeps } from '../ports';

/** What tag-image uses of the engine. */
export type TagImageDeps = Pick<EngineDeps, 'journal' | 'views'>;
export async function tagImage(ctx: TagImageDeps, source: string, repo: string, tag?: string): Promise<void> {
  const img = getImage(ctx.views, source);
  const parsed = parseReference(repo);
  if (tag) {
    checkTag(tag);
    if (parsed.tag) throw invalidArgument('invalid reference format');
    parsed.tag = tag;
  }
  if (parsed.digest) throw invalidArgument('refusing to create a tag with a digest reference');
  checkTaggable(parsed);
  const ref = familiarString(parsed);
  await ctx.journal.append([{ type: 'image.tagged', data: { id: img.id, ref } }], { name: ref });
}
