/** The client's system calls: ping, version, info, events, disk usage, registry login. */
import type { IncomingMessage } from 'node:http';
import type { ContainerSummary } from './containers';
import type { ImageSummary } from './images';
import { encodeFilters, type RequestsClass } from './request';
import { readAll } from './streams';
import type { VolumeSummary } from './volumes';
import type { VersionResponse, InfoResponse, DiskUsage } from '../wire/docker';
export type { VersionResponse, InfoResponse, DiskUsage } from '../wire/docker';

export function SystemCalls<B extends RequestsClass>(Base: B) {
  return class extends Base {
    async ping(): Promise<boolean> {
      const res = await this.raw('GET', '/_ping');
      await readAll(res);
      return res.statusCode === 200;
    }

    version(): Promise<VersionResponse> {
      return this.json('GET', '/version');
    }

    info(): Promise<InfoResponse> {
      return this.json('GET', '/info');
    }

    /** GET /events as a stream of JSON lines. */
    events(opts: { since?: string; until?: string; filters?: Record<string, string[]> } = {}, signal?: AbortSignal): Promise<IncomingMessage> {
      return this.stream('GET', '/events', { query: { since: opts.since, until: opts.until, filters: encodeFilters(opts.filters ?? {}) }, signal });
    }

    /** POST /auth: the daemon checks the credentials with the registry. */
    registryLogin(auth: Record<string, string | undefined>): Promise<{ Status: string; IdentityToken?: string }> {
      return this.json('POST', '/auth', { body: auth });
    }

    systemDf(): Promise<DiskUsage> {
      return this.json('GET', '/system/df');
    }
  };
}
