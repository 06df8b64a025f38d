/**
 * How an operation reports its progress (pull, push, load, import, build): the engine says
 * what happens, the API writes it as Docker's JSON message stream (api/wire/progress.ts
 * implements this).
 */

/** One message of the stream: Docker's jsonmessage fields. */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  stream?: string;
  error?: string;
  errorDetail?: { code?: number; message: string };
  aux?: Record<string, unknown>;
}

export interface ProgressSink {
  /** Whether the client has gone (a long operation may stop early). */
  readonly gone: boolean;
  send(m: ProgressMessage): void;
  /** A status line, of one item (a layer) when an id is given. */
  status(status: string, id?: string): void;
  /** How far one item has come (the writer may throttle these). */
  progress(status: string, id: string, current: number, total: number): void;
  error(message: string): void;
}
