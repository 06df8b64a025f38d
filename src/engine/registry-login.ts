import { WharfError } from '../domain/errors';
import { registryHostOf, type Credentials } from '../registry/auth';
import { RegistryError, RegistrySession } from '../registry/client';
import { catalog } from '../registry/upload';
import type { EngineContext } from './context';

/**
 * docker login: check the credentials against the registry (basic, or the bearer-token
 * flow its challenge asks for). The daemon keeps nothing: the client stores them.
 */
export async function registryLogin(ctx: EngineContext, creds: Credentials): Promise<{ Status: string; IdentityToken: string }> {
  const host = registryHostOf(creds.serveraddress);
  const session = new RegistrySession(host, '', [], creds, ctx.registry);
  try {
    await session.ping();
  } catch (e) {
    if (e instanceof RegistryError && (e.status === 401 || e.status === 403)) {
      const url = await session.url('/v2/');
      throw new WharfError('unauthorized', session.challenged?.scheme === 'bearer' ? (e.message.startsWith('Get "') ? e.message : `Get "${url.href}": ${e.message}`) : `login attempt to ${url.href} failed with status: ${e.status} ${e.status === 401 ? 'Unauthorized' : 'Forbidden'}`);
    }
    throw e;
  }
  return { Status: 'Login Succeeded', IdentityToken: '' };
}

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
export async function searchImages(ctx: EngineContext, term: string, limit: number, creds?: Credentials): Promise<SearchResult[]> {
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
