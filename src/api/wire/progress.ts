import type { Writable } from 'node:stream';
import type { ProgressMessage, ProgressSink } from '../../engine/lib/progress';

/** One message of Docker's JSON progress stream (pull, push, load, import): the engine's shape. */
export type JsonMessage = ProgressMessage;

/** JSON as Go's encoder writes it: <, > and & escaped (\u003c...), as Docker's streams carry them. */
export function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** Sizes as Docker's progress shows them: decimal units, 3 significant digits ("1.23MB"). */
export function progressSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** The legacy `progress` text: "[=====>      ]  1.2MB/3.4MB". */
export function progressBar(current: number, total: number, width = 50): string {
  if (!(total > 0)) return `${progressSize(current).padStart(8)}`;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = filled >= width ? '='.repeat(width - 1) + '>' : `${'='.repeat(filled)}>${' '.repeat(Math.max(0, width - filled - 1))}`;
  return `[${bar}] ${progressSize(current).padStart(8)}/${progressSize(total)}`;
}

/**
 * Writes a JSON message stream; progress updates of one id are throttled (100 ms, as
 * Docker does) but a finishing update always goes out.
 */
export class ProgressWriter implements ProgressSink {
  private last = new Map<string, number>();
  private closed = false;

  private written = false;

  /** beforeFirst: called once, before the first message is written (to send the response's head then). */
  constructor(
    private readonly out: Writable,
    private readonly beforeFirst?: () => void,
  ) {
    out.on('close', () => (this.closed = true));
    out.on('error', () => (this.closed = true));
  }

  /** The consumer went away (docker pull interrupted): the work goes on, the writing stops. */
  /** Whether a message went out (and with it the response's head). */
  get started(): boolean {
    return this.written;
  }

  get gone(): boolean {
    return this.closed;
  }

  send(m: JsonMessage): void {
    if (this.closed || this.out.writableEnded) return;
    if (!this.written) {
      this.written = true;
      this.beforeFirst?.();
    }
    this.out.write(`${goJson(m)}\n`);
  }

  status(status: string, id?: string): void {
    this.send(id ? { status, progressDetail: {}, id } : { status });
  }

  progress(status: string, id: string, current: number, total: number): void {
    const now = Date.now();
    if (current < total && now - (this.last.get(id) ?? 0) < 100) return;
    this.last.set(id, now);
    this.send({ status, progressDetail: { current, total }, progress: progressBar(current, total), id });
  }

  error(message: string): void {
    this.send({ errorDetail: { message }, error: message });
  }
}
