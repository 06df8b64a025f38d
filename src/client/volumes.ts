/** The client's volume calls. */
import { encodeFilters, type RequestsClass } from './request';
import type { VolumeSummary } from '../wire/docker';
export type { VolumeSummary } from '../wire/docker';

export function VolumeCalls<B extends RequestsClass>(Base: B) {
  return class extends Base {
    volumeCreate(body: { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }): Promise<VolumeSummary> {
      return this.json('POST', '/volumes/create', { body });
    }

    volumeList(filters: Record<string, string[]> = {}): Promise<{ Volumes: VolumeSummary[] | null; Warnings: string[] | null }> {
      return this.json('GET', '/volumes', { query: { filters: encodeFilters(filters) } });
    }

    volumeInspectRaw(name: string): Promise<string> {
      return this.text('GET', `/volumes/${encodeURIComponent(name)}`);
    }

    volumeRemove(name: string, force = false): Promise<void> {
      return this.json('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: force ? '1' : undefined } });
    }

    volumePrune(filters: Record<string, string[]> = {}): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
      return this.json('POST', '/volumes/prune', { query: { filters: encodeFilters(filters) } });
    }
  };
}
