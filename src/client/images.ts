/** The client's image calls: pull, push, import, load, save, search, tag, inspect, remove, prune. */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { encodeFilters, encodeRef, type RequestsClass } from './request';
import type { ImageSummary, SearchResult, HistoryItem, ImageDeleteItem } from '../wire/docker';
export type { ImageSummary, SearchResult, HistoryItem, ImageDeleteItem } from '../wire/docker';

export function ImageCalls<B extends RequestsClass>(Base: B) {
  return class extends Base {
    /** docker insert (Remote API 1.9 to 1.11): the file at url put at path in a new image; a JSON progress stream. */
    imageInsert(name: string, url: string, path: string): Promise<IncomingMessage> {
      return this.stream('POST', `/images/${encodeRef(name)}/insert`, { query: { url, path }, apiVersion: '1.11' });
    }

    /** POST /images/create?fromSrc=-: the archive is streamed as the body; resolves with the progress stream. */
    imageImport(source: Readable | string, opts: { repo?: string; tag?: string; message?: string; changes?: string[] }): Promise<IncomingMessage> {
      const fromSrc = typeof source === 'string' ? source : '-';
      return this.stream('POST', '/images/create', {
        query: { changes: opts.changes?.length ? opts.changes : undefined, fromSrc, message: opts.message, repo: opts.repo, tag: opts.tag },
        body: typeof source === 'string' ? undefined : source,
        contentType: 'text/plain',
      });
    }

    /** POST /images/create?fromImage=: a pull; the answer is a JSON progress stream. */
    imagePull(image: string, tag?: string, opts: { registryAuth?: string; platform?: string } = {}): Promise<IncomingMessage> {
      return this.stream('POST', '/images/create', {
        query: { fromImage: image, tag, platform: opts.platform ? opts.platform.toLowerCase() : undefined },
        headers: opts.registryAuth ? { 'X-Registry-Auth': opts.registryAuth } : undefined,
      });
    }

    /** POST /images/{name}/push: a JSON progress stream. */
    imagePush(name: string, opts: { tag?: string; registryAuth?: string; platform?: string } = {}): Promise<IncomingMessage> {
      return this.stream('POST', `/images/${encodeRef(name)}/push`, {
        query: { tag: opts.tag, platform: opts.platform },
        headers: { 'X-Registry-Auth': opts.registryAuth ?? 'e30=' },
      });
    }

    imageSearch(term: string, opts: { limit?: number; filters?: Record<string, string[]>; registryAuth?: string } = {}): Promise<SearchResult[]> {
      return this.json('GET', '/images/search', {
        query: { term, limit: opts.limit ? String(opts.limit) : undefined, filters: encodeFilters(opts.filters ?? {}) },
        headers: opts.registryAuth ? { 'X-Registry-Auth': opts.registryAuth } : undefined,
      });
    }

    imageHistory(ref: string, platform?: string): Promise<HistoryItem[]> {
      return this.json('GET', `/images/${encodeRef(ref)}/history`, { query: { platform } });
    }

    imagePrune(filters: Record<string, string[]> = {}): Promise<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }> {
      return this.json('POST', '/images/prune', { query: { filters: encodeFilters(filters) } });
    }

    buildCachePrune(all = false): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
      return this.json('POST', '/build/prune', { query: all ? { all: '1' } : {} });
    }

    imageList(opts: { all?: boolean; filters?: Record<string, string[]> } = {}): Promise<ImageSummary[]> {
      return this.json('GET', '/images/json', { query: { all: opts.all ? '1' : undefined, filters: encodeFilters(opts.filters ?? {}) } });
    }

    imageInspectRaw(ref: string): Promise<string> {
      return this.text('GET', `/images/${encodeRef(ref)}/json`);
    }

    async imageInspect(ref: string): Promise<Record<string, unknown>> {
      return JSON.parse(await this.imageInspectRaw(ref)) as Record<string, unknown>;
    }

    imageTag(source: string, repo: string, tag?: string): Promise<void> {
      return this.json('POST', `/images/${encodeRef(source)}/tag`, { query: { repo, tag } });
    }

    imageRemove(ref: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
      return this.json('DELETE', `/images/${encodeRef(ref)}`, { query: { force: opts.force ? '1' : undefined, noprune: opts.noprune ? '1' : undefined } });
    }

    imageSave(names: string[]): Promise<IncomingMessage> {
      return this.stream('GET', '/images/get', { query: { names } });
    }

    imageLoad(tar: Readable, quiet: boolean): Promise<IncomingMessage> {
      return this.stream('POST', '/images/load', { query: { quiet: quiet ? '1' : '0' }, body: tar, contentType: 'application/x-tar' });
    }
  };
}
