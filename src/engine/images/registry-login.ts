import { WharfError } from '../../domain/errors';
import { registryHostOf, type Credentials } from '../../registry/auth';
import { RegistryError, RegistrySession } from '../../registry/client';


import type { EngineDeps } from '../ports';

/** What registry-login uses of the engine. */
export type RegistryLoginDeps = Pick<EngineDeps, 'registry'>;
/**
 * docker login: check the credentials against the registry (basic, or the bearer-token
 * flow its challenge asks for). The daemon keeps nothing: the client stores them.
 */
export async function registryLogin(ctx: RegistryLoginDeps, creds: Credentials): Promise<{ Status: string; IdentityToken: string }> {
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
