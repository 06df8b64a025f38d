/** Reading the daemon's answers: whole bodies, lines, event lines and JSON progress streams. */
import type { Readable } from 'node:stream';
import type { EventMessage } from '../wire/docker';

export type { EventMessage } from '../wire/docker';

export async function readAll(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

/**
 * Parse one JSON event line keeping timeNano exact: the digits are read from the text, since
 * an int64 of nanoseconds does not survive a double.
 */
export function parseEventLine(line: string): EventMessage {
  const ev = JSON.parse(line) as EventMessage & { timeNano?: unknown };
  const m = /"timeNano"\s*:\s*(-?\d+)/.exec(line);
  ev.timeNano = m ? BigInt(m[1]) : ev.time !== undefined ? BigInt(ev.time) * 1_000_000_000n : undefined;
  return ev;
}

/** Split a response into lines (JSON message streams, events), as they arrive. */
export async function* lines(res: Readable): AsyncGenerator<string> {
  let buf = '';
  res.setEncoding('utf8');
  for await (const chunk of res) {
    buf += chunk as string;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield line;
    }
  }
  if (buf.trim()) yield buf.trim();
}

/** A progress message of /images/create and friends. */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  stream?: string;
}

/** Read a JSON message stream; an error message in it becomes a thrown Error with its text. */
export async function readJsonMessages(res: Readable, onMessage: (m: JsonMessage) => void): Promise<void> {
  for await (const line of lines(res)) {
    let m: JsonMessage;
    try {
      m = JSON.parse(line) as JsonMessage;
    } catch {
      continue;
    }
    if (m.error || m.errorDetail) throw new Error(m.errorDetail?.message ?? m.error ?? 'unknown error');
    onMessage(m);
  }
}
