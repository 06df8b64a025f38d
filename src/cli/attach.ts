/** Pump an attached (hijacked) connection to this process's stdout/stderr, and stdin to it. */
import type { Hijacked } from '../client/client';
import { deframe } from '../wire/stream';
import type { IO } from './command';

export interface AttachSession {
  /** Resolves when the daemon has closed the stream (all output written). */
  done: Promise<void>;
  /** Give up waiting for more output after `ms` of silence (used once the container is gone). */
  idleClose(ms: number): void;
  close(): void;
}

export function pumpAttach(h: Hijacked, io: IO, opts: { tty: boolean; stdin: boolean }): AttachSession {
  const { socket } = h;
  const raw = opts.tty || h.contentType.includes('raw-stream');
  let rest: Buffer = Buffer.alloc(0);
  let idleMs = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (!idleMs) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => socket.destroy(), idleMs);
  };

  const writeOut = (target: 'out' | 'err', data: Buffer) => {
    const s = target === 'err' ? io.stderr : io.stdout;
    if (!s.write(data)) {
      socket.pause();
      s.once('drain', () => socket.resume());
    }
  };

  const onData = (d: Buffer) => {
    armIdle();
    if (raw) {
      writeOut('out', d);
      return;
    }
    const parsed = deframe(rest.length ? Buffer.concat([rest, d]) : d);
    rest = Buffer.from(parsed.rest);
    for (const f of parsed.frames) writeOut(f.stream === 2 ? 'err' : 'out', f.data);
  };

  let restoreTty: (() => void) | undefined;
  if (opts.stdin) {
    const stdin = io.stdin;
    if (opts.tty && stdin.isTTY && stdin.setRawMode) {
      stdin.setRawMode(true);
      restoreTty = () => stdin.setRawMode?.(false);
    }
    stdin.on('data', (d: Buffer) => {
      if (!socket.destroyed) socket.write(d);
    });
    stdin.on('end', () => {
      if (!socket.destroyed) socket.end();
    });
  }

  const done = new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(idleTimer);
      restoreTty?.();
      if (opts.stdin) io.stdin.pause();
      if (!raw && rest.length) writeOut('out', rest);
      resolve();
    };
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
  });
  if (h.head.length) onData(h.head);
  socket.on('data', onData);

  return {
    done,
    idleClose(ms: number) {
      idleMs = ms;
      armIdle();
    },
    close() {
      socket.destroy();
    },
  };
}
