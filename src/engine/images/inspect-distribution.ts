import { WharfError } from '../../domain/errors';
import type { Credentials } from '../../registry/auth';
import { RegistrySession } from '../../registry/client';
import { fetchBlob, fetchManifest } from '../../registry/fetch';
import type { Descriptor, Platform } from '../../registry/manifest';

import { pullReference } from './pull-image';

import type { EngineDeps } from '../ports';

/** What inspect-distribution uses of the engine. */
export type InspectDistributionDeps = Pick<EngineDeps, 'registry'>;
export interface DistributionInfo {
  descriptor: Descriptor;
  platforms: Platform[];
}

/**
 * GET /distribution/{name}/json: what the registry serves for a reference, without pulling:
 * the manifest's descriptor and the platforms it is for (a list's entries, or the image
 * config's own). cri-dockerd and `docker pull --platform` ask it.
 */
export async function inspectDistribution(ctx: InspectDistributionDeps, image: string, creds?: Credentials): Promise<DistributionInfo> {
  const ref = pullReference(image);
  const session = new RegistrySession(ref.domain, ref.path, ['pull'], creds, ctx.registry);
  const fetched = await fetchManifest(session, ref.digest ?? ref.tag!, ref.digest).catch((e: WharfError & { status?: number }) => {
    throw e.status === 404 ? new WharfError('not-found', e.message) : e;
  });
  const descriptor: Descriptor = { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.bytes.length };
  if (fetched.index) {
    const platforms = fetched.index.manifests.flatMap((m) => (m.platform ? [m.platform] : []));
    return { descriptor, platforms };
  }
  const config = fetched.manifest!.config;
  const json = JSON.parse((await fetchBlob(session, config.digest, config.size)).toString('utf8')) as Partial<Platform>;
  const platform: Platform = { architecture: json.architecture ?? '', os: json.os ?? '', ...(json.variant ? { variant: json.variant } : {}) };
  return { descriptor, platforms: [platform] };
}
