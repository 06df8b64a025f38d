/** The client's container calls (and exec sessions in them): create, start, stop, logs, attach, archive, ... */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { encodeFilters, type Hijacked, type RequestsClass } from './request';
import { readAll } from './streams';
import type { ContainerPort, ContainerSummary, ContainerInspect, CreateResponse, WaitResponse } from '../wire/docker';
export type { ContainerPort, ContainerSummary, ContainerInspect, CreateResponse, WaitResponse } from '../wire/docker';

export interface LogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
  details?: boolean;
}

export interface AttachOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  detachKeys?: string;
}

export function ContainerCalls<B extends RequestsClass>(Base: B) {
  return class extends Base {
    containerCreate(body: Record<string, unknown>, name?: string): Promise<CreateResponse> {
      return this.json('POST', '/containers/create', { query: { name: name || undefined }, body });
    }

    containerList(opts: { all?: boolean; limit?: number; size?: boolean; filters?: Record<string, string[]> } = {}): Promise<ContainerSummary[]> {
      return this.json('GET', '/containers/json', {
        query: {
          all: opts.all ? '1' : undefined,
          limit: opts.limit !== undefined && opts.limit > 0 ? String(opts.limit) : undefined,
          size: opts.size ? '1' : undefined,
          filters: encodeFilters(opts.filters ?? {}),
        },
      });
    }

    containerInspectRaw(ref: string, opts: { size?: boolean } = {}): Promise<string> {
      return this.text('GET', `/containers/${encodeURIComponent(ref)}/json`, { query: { size: opts.size ? '1' : undefined } });
    }

    async containerInspect(ref: string): Promise<ContainerInspect> {
      return JSON.parse(await this.containerInspectRaw(ref)) as ContainerInspect;
    }

    containerStart(ref: string): Promise<void> {
      return this.json('POST', `/containers/${encodeURIComponent(ref)}/start`);
    }

    containerStop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
      return this.json('POST', `/containers/${encodeURIComponent(ref)}/stop`, { query: { t: opts.timeout, signal: opts.signal } });
    }

    containerKill(ref: string, signal?: string): Promise<void> {
      return this.json('POST', `/containers/${encodeURIComponent(ref)}/kill`, { query: { signal } });
    }

    containerRemove(ref: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
      return this.json('DELETE', `/containers/${encodeURIComponent(ref)}`, { query: { force: opts.force ? '1' : undefined, v: opts.volumes ? '1' : undefined, link: opts.link ? '1' : undefined } });
    }

    /**
     * POST /containers/{id}/wait: resolves once the daemon has registered the waiter (headers
     * in); `result` then resolves with the exit status.
     */
    async containerWait(ref: string, condition?: string): Promise<{ result: Promise<WaitResponse> }> {
      const res = await this.stream('POST', `/containers/${encodeURIComponent(ref)}/wait`, { query: { condition } });
      const result = readAll(res).then((b) => {
        const text = b.toString('utf8').trim();
        if (!text) throw new Error('wait: connection closed before the container exited');
        return JSON.parse(text) as WaitResponse;
      });
      result.catch(() => undefined);
      return { result };
    }

    containerLogs(ref: string, opts: LogsOptions, signal?: AbortSignal): Promise<IncomingMessage> {
      return this.stream('GET', `/containers/${encodeURIComponent(ref)}/logs`, {
        query: {
          stdout: opts.stdout ?? true ? '1' : undefined,
          stderr: opts.stderr ?? true ? '1' : undefined,
          follow: opts.follow ? '1' : undefined,
          tail: opts.tail,
          timestamps: opts.timestamps ? '1' : undefined,
          since: opts.since,
          until: opts.until,
          details: opts.details ? '1' : undefined,
        },
        signal,
      });
    }

    /** Attach to a container over a hijacked connection. */
    attach(ref: string, opts: AttachOptions = { stream: true, stdout: true, stderr: true }): Promise<Hijacked> {
      return this.upgrade('POST', `/containers/${encodeURIComponent(ref)}/attach`, {
        query: {
          detachKeys: opts.detachKeys,
          stderr: opts.stderr ? '1' : undefined,
          stdin: opts.stdin ? '1' : undefined,
          stdout: opts.stdout ? '1' : undefined,
          stream: opts.stream ? '1' : undefined,
        },
      });
    }


    containerRestart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
      return this.json('POST', `/containers/${encodeURIComponent(ref)}/restart`, { query: { t: opts.timeout?.toString(), signal: opts.signal } });
    }

    containerPause(ref: string): Promise<void> {
      return this.json('POST', `/containers/${encodeURIComponent(ref)}/pause`);
    }

    containerUnpause(ref: string): Promise<void> {
      return this.json('POST', `/containers/${encodeURIComponent(ref)}/unpause`);
    }

    containerRename(ref: string, name: string): Promise<void> {
      return this.json('POST', `/containers/${encodeURIComponent(ref)}/rename`, { query: { name } });
    }

    containerTop(ref: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }> {
      return this.json('GET', `/containers/${encodeURIComponent(ref)}/top`, { query: { ps_args: psArgs } });
    }

    containerChanges(ref: string): Promise<{ Kind: number; Path: string }[] | null> {
      return this.json('GET', `/containers/${encodeURIComponent(ref)}/changes`);
    }

    containerExport(ref: string): Promise<IncomingMessage> {
      return this.stream('GET', `/containers/${encodeURIComponent(ref)}/export`);
    }

    /** The stat header of a path in a container (HEAD archive), decoded. */
    async containerStatPath(ref: string, p: string): Promise<{ name: string; size: number; mode: number; mtime: string; linkTarget: string }> {
      const res = await this.stream('HEAD', `/containers/${encodeURIComponent(ref)}/archive`, { query: { path: p } });
      res.resume();
      const h = res.headers['x-docker-container-path-stat'];
      return JSON.parse(Buffer.from(String(h ?? ''), 'base64').toString('utf8'));
    }

    containerArchive(ref: string, p: string): Promise<IncomingMessage> {
      return this.stream('GET', `/containers/${encodeURIComponent(ref)}/archive`, { query: { path: p } });
    }

    containerPutArchive(ref: string, p: string, tar: Readable, opts: { copyUIDGID?: boolean } = {}): Promise<void> {
      return this.json('PUT', `/containers/${encodeURIComponent(ref)}/archive`, {
        query: { path: p, copyUIDGID: opts.copyUIDGID ? 'true' : undefined },
        body: tar,
        contentType: 'application/x-tar',
      });
    }

    containerStats(ref: string, stream: boolean): Promise<IncomingMessage> {
      return this.stream('GET', `/containers/${encodeURIComponent(ref)}/stats`, { query: { stream: stream ? '1' : '0' } });
    }

    containerUpdate(ref: string, body: Record<string, unknown>): Promise<{ Warnings: string[] | null }> {
      return this.json('POST', `/containers/${encodeURIComponent(ref)}/update`, { body });
    }

    containerCommit(ref: string, opts: { repo?: string; tag?: string; comment?: string; author?: string; changes?: string[]; pause?: boolean }): Promise<{ Id: string }> {
      return this.json('POST', '/commit', {
        query: {
          container: ref,
          repo: opts.repo,
          tag: opts.tag,
          comment: opts.comment,
          author: opts.author,
          changes: opts.changes?.length ? opts.changes : undefined,
          pause: opts.pause === false ? '0' : '1',
        },
        body: {},
      });
    }

    containerPrune(filters: Record<string, string[]> = {}): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
      return this.json('POST', '/containers/prune', { query: { filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined } });
    }

    execCreate(ref: string, body: Record<string, unknown>): Promise<{ Id: string }> {
      return this.json('POST', `/containers/${encodeURIComponent(ref)}/exec`, { body });
    }

    execStartDetached(id: string): Promise<void> {
      return this.json('POST', `/exec/${id}/start`, { body: { Detach: true, Tty: false } });
    }

    execStartAttached(id: string, body: { Tty: boolean; ConsoleSize?: [number, number] }): Promise<Hijacked> {
      return this.upgrade('POST', `/exec/${id}/start`, { body: { Detach: false, ...body } });
    }

    execInspect(id: string): Promise<{ ExitCode: number | null; Running: boolean; Pid: number }> {
      return this.json('GET', `/exec/${id}/json`);
    }

    execResize(id: string, rows: number, cols: number): Promise<void> {
      return this.json('POST', `/exec/${id}/resize`, { query: { h: String(rows), w: String(cols) } });
    }

    containerResize(ref: string, rows: number, cols: number): Promise<void> {
      return this.json('POST', `/containers/${encodeURIComponent(ref)}/resize`, { query: { h: String(rows), w: String(cols) } });
    }
  };
}
