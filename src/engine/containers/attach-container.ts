import { filter, firstValueFrom, from, mergeMap } from 'rxjs';
import { isRunning } from '../../domain/container';
import { conflict, invalidArgument, noSuchContainer, type WharfError } from '../../domain/errors';
import { findContainer } from '../lookup';
import { readLogs } from './read-logs';
import { connectStdin, DetachScanner, parseDetachKeys, type StdinSink } from '../../runtime/attach-socket';
import type { EngineDeps } from '../ports';

/** What attach uses of the engine. */
export type AttachContainerDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'containersDir' | 'log' | 'locks' | 'live'>;

/** What the client asked to see and send (the attach query, decoded at the edge). */
export interface AttachOptions {
  stream: boolean;
  logs: boolean;
  stdout: boolean;
  stderr: boolean;
  stdin: boolean;
  detachKeys?: string;
}

/** How an attach talks to its client: a hijacked HTTP connection, or a websocket. */
export interface AttachPeer {
  /** Turn the request down with Docker's error (the API answers it with its status and message). */
  refuse(e: WharfError): void;
  /** Take the request on, for a container with or without a tty. */
  accept(tty: boolean): void;
  /** Output; resolves when the client can take more. */
  send(stream: 'stdout' | 'stderr', data: Buffer): Promise<void>;
  /** What the client types, and the end of it. */
  onInput(data: (d: Buffer) => void, end: () => void): void;
  /** The client went away. */
  onGone(cb: () => void): void;
  /** Output is over. */
  end(): void;
}

/**
 * Attach a client to a container. Output (stdout/stderr apart) follows the log conmon
 * writes: with logs=1 from its start, else from now; with stream=1 until this run (or the
 * next one, if it has not started yet) ends. Input goes to conmon's attach socket once the
 * container runs; the detach keys (ctrl-p ctrl-q by default) leave the container running.
 */
export async function attachContainer(ctx: AttachContainerDeps, ref: string, o: AttachOptions, peer: AttachPeer): Promise<void> {
  let c;
  try {
    c = findContainer(ctx.views, ref);
  } catch {
    c = undefined;
  }
  if (!c) return peer.refuse(noSuchContainer(ref));
  if (c.status === 'paused') {
    // Docker's words (with the reference as given): output would not come until an unpause.
    return peer.refuse(conflict(`container ${ref} is paused, unpause the container before attach`));
  }
  let detachKeys: Buffer;
  try {
    detachKeys = parseDetachKeys(o.detachKeys || 'ctrl-p,ctrl-q');
  } catch (e) {
    return peer.refuse(invalidArgument((e as Error).message));
  }
  const id = c.id;
  peer.accept(c.config.Tty);
  ctx.live.container(c, 'attach');
  const { stream, logs } = o;
  if (!stream && !logs) return peer.end();
  const wantOut = o.stdout;
  const wantErr = o.stderr;
  const wantIn = stream && o.stdin && c.config.OpenStdin;
  const ac = new AbortController();
  peer.onGone(() => ac.abort());

  let ended = false;
  const sub = ctx.journal.committed$.subscribe((batch) => {
    for (const e of batch) {
      if (e.data.id === id && (e.type === 'container.died' || e.type === 'container.destroyed' || e.type === 'container.start-failed')) ended = true;
    }
  });

  const input = wantIn ? new StdinForwarder(detachKeys, () => ac.abort(), () => containerStdin(ctx, id)) : undefined;
  peer.onInput(
    (d) => input?.push(d),
    () => input?.end(),
  );

  try {
    for await (const e of readLogs(ctx, id, { follow: stream, fromEnd: !logs, live: () => !ended, partial: true, signal: ac.signal })) {
      if ((e.stream === 'stdout' && !wantOut) || (e.stream === 'stderr' && !wantErr)) continue;
      await peer.send(e.stream, e.data);
    }
  } catch (err) {
    ctx.log.warn({ err }, 'attach stream failed');
  } finally {
    sub.unsubscribe();
    input?.close();
  }
  peer.end();
}

/** The container's stdin once it runs (undefined if this run ends first). */
async function containerStdin(ctx: AttachContainerDeps, id: string): Promise<StdinSink | undefined> {
  const c = ctx.views.containers.get(id);
  if (!c || !isRunning(c)) {
    const started = await firstValueFrom(
      ctx.journal.committed$.pipe(
        mergeMap((b) => from(b)),
        filter((e) => e.data.id === id && (e.type === 'container.started' || e.type === 'container.died' || e.type === 'container.destroyed' || e.type === 'container.start-failed')),
      ),
      { defaultValue: undefined },
    );
    if (started?.type !== 'container.started') return undefined;
  }
  return connectStdin(ctx.runtime.attachSocket(id));
}

/** Client keystrokes → a process's stdin, once it can be opened; watches for the detach keys. */
export class StdinForwarder {
  private sink?: StdinSink;
  private pending: Buffer[] = [];
  private eof = false;
  private closed = false;
  private readonly scanner: DetachScanner;

  constructor(keys: Buffer, private readonly onDetach: () => void, open: () => Promise<StdinSink | undefined>) {
    this.scanner = new DetachScanner(keys);
    void this.connect(open);
  }

  private async connect(open: () => Promise<StdinSink | undefined>): Promise<void> {
    let sink;
    try {
      sink = await open();
    } catch {
      return; // the process is gone: nothing to write to
    }
    if (!sink) return;
    if (this.closed) {
      sink.end(); // detached before the process could be reached
      return;
    }
    this.sink = sink;
    for (const b of this.pending) this.sink.write(b);
    this.pending = [];
    if (this.eof) this.sink.end();
  }

  push(data: Buffer): void {
    const { forward, detached } = this.scanner.push(data);
    if (forward.length) {
      if (this.sink) this.sink.write(forward);
      else this.pending.push(forward);
    }
    if (detached) {
      // Leave the process running; its stdin stays open for the next attach.
      this.closed = true;
      this.onDetach();
    }
  }

  /** The client closed its input (stdin EOF): close the process's stdin. */
  end(): void {
    if (this.closed) return;
    this.eof = true;
    this.sink?.end();
  }

  close(): void {
    this.closed = true;
  }
}

/** An exec session's stdin (conmon's attach socket of the session). */
export function execStdin(ctx: Pick<EngineDeps, 'runtime'>, containerId: string, execId: string): Promise<StdinSink> {
  return connectStdin(ctx.runtime.execAttachSocket(containerId, execId));
}

export { parseDetachKeys };
