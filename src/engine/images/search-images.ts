import { WharfError } from '../../domain/errors';
import type { Credentials } from '../../registry/auth';
import { RegistrySession } from '../../registry/client';
import { catalog } from '../../registry/upload';


import type { EngineDeps } from '../ports';

/** What search-images uses of the engine. */
export type SearchImagesDeps = Pick<EngineDeps, 'registry'>;
export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

/**
 * docker search TERM: on a registry named in the term (localhost:5000/app), the repositories
 * of its catalog whose name contains the rest of the term.
 */
export async function searchImages(ctx: SearchImagesDeps, term: string, limit: number, creds?: Credentials): Promise<SearchResult[]> {
  const slash = term.indexOf('/');
  const first = slash > 0 ? term.slice(0, slash) : '';
  const onRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  if (!onRegistry) throw new WharfError('invalid-argument', `search needs a registry that offers the catalog API: name it in the term, as in "localhost:5000/${term}"`);
  const query = term.slice(slash + 1).toLowerCase();
  const session = new RegistrySession(first, '', [], creds, ctx.registry);
  const repos = await catalog(session);
  return repos
    .filter((r) => r.toLowerCase().includes(query))
    .slice(0, limit)
    .map((r) => ({ name: `${first}/${r}`, description: '', star_count: 0, is_official: false, is_automated: false }));
}
