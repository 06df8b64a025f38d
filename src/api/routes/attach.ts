import type { Socket } from 'node:net';
import { filter, firstValueFrom, from, mergeMap } from 'rxjs';
import { isRunning } from '../../domain/container';
import { noSuchContainer } from '../../domain/errors';
import { findContainer, type EngineContext } from '../../engine/context';
import { readLogs } from '../../engine/read-logs';
import { connectStdin, DetachScanner, parseDetachKeys, type StdinSink } from '../../runtime/attach-socket';
import { truthy, type Query as Q } from '../query';
import { frame, STDERR, STDOUT } from '../stream';


/**
 * Attach a client to a container. Output (stdout/stderr as separate frames unless it has a
 * tty) follows the log conmon writes, from now until this run (or the next one, if it has
 * not started yet) ends. Input goes to conmon's attach socket once the container runs; the
 * detach keys (ctrl-p ctrl-q by default) leave the container running.
 */
export async function attach(ctx: EngineContext, ref: string, q: Q, socket: Socket, head: Buffer, upgraded: boolean): Promise<void> {
  let c;
  try {
    c = findContainer(ctx.views, ref);
  } catch {
    c = undefined;
  }
  if (!c) {
    const body = JSON.stringify({ message: noSuchContainer(ref).message });
    socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return;
  }
  let detachKeys: Buffer;
  try {
    detachKeys = parseDetachKeys(q.detachKeys || 'ctrl-p,ctrl-q');
  } catch (e) {
    const body = JSON.stringify({ message: (e as Error).message });
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return;
  }
  const id = c.id;
  const tty = c.config.Tty;
  const ctype = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  socket.write(
    upgraded
      ? `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${ctype}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`
      : `HTTP/1.1 200 OK\r\nContent-Type: ${ctype}\r\n\r\n`,
  );
  if (!truthy(q.stream)) {
    socket.end();
    return;
  }
  const wantOut = truthy(q.stdout);
  const wantErr = truthy(q.stderr);
  const wantIn = truthy(q.stdin) && c.config.OpenStdin;
  const ac = new AbortController();
  socket.on('close', () => ac.abort());
  socket.on('error', () => ac.abort());

  let ended = false;
  const sub = ctx.journal.committed$.subscribe((batch) => {
    for (const e of batch) {
      if (e.data.id === id && (e.type === 'container.died' || e.type === 'container.destroyed' || e.type === 'container.start-failed')) ended = true;
    }
  });

  const input = wantIn ? new StdinForwarder(ctx, id, detachKeys, () => ac.abort()) : undefined;
  socket.on('data', (d: Buffer) => input?.push(d));
  socket.on('end', () => input?.end());
  if (head.length) input?.push(head);

  try {
    for await (const e of readLogs(ctx, id, { follow: true, fromEnd: true, live: () => !ended, partial: true, signal: ac.signal })) {
      if ((e.stream === 'stdout' && !wantOut) || (e.stream === 'stderr' && !wantErr)) continue;
      const ok = socket.write(tty ? e.data : frame(e.stream === 'stdout' ? STDOUT : STDERR, e.data));
      if (!ok) await new Promise((r) => socket.once('drain', r));
    }
  } catch (err) {
    ctx.log.warn({ err }, 'attach stream failed');
  } finally {
    sub.unsubscribe();
    input?.close();
  }
  if (!socket.destroyed) socket.end();
}

/** Client keystrokes → the container's stdin, once it runs; watches for the detach keys. */
class StdinForwarder {
  private sink?: StdinSink;
  private pending: Buffer[] = [];
  private eof = false;
  private closed = false;
  private readonly scanner: DetachScanner;

  constructor(private readonly ctx: EngineContext, private readonly id: string, keys: Buffer, private readonly onDetach: () => void) {
    this.scanner = new DetachScanner(keys);
    void this.connect();
  }

  private async connect(): Promise<void> {
    const c = this.ctx.views.containers.get(this.id);
    if (!c || !isRunning(c)) {
      const started = await firstValueFrom(
        this.ctx.journal.committed$.pipe(
          mergeMap((b) => from(b)),
          filter((e) => e.data.id === this.id && (e.type === 'container.started' || e.type === 'container.died' || e.type === 'container.destroyed' || e.type === 'container.start-failed')),
        ),
        { defaultValue: undefined },
      );
      if (started?.type !== 'container.started') return;
    }
    if (this.closed) return;
    try {
      this.sink = await connectStdin(this.ctx.runtime.attachSocket(this.id));
    } catch (err) {
      this.ctx.log.warn({ id: this.id, err: (err as Error).message }, 'cannot attach stdin');
      return;
    }
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
      // Leave the container running; its stdin stays open for the next attach.
      this.closed = true;
      this.onDetach();
    }
  }

  /** The client closed its input (stdin EOF): close the container's stdin. */
  end(): void {
    if (this.closed) return;
    this.eof = true;
    this.sink?.end();
  }

  close(): void {
    this.closed = true;
  }
}
