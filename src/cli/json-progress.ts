/**
 * The daemon's JSON message streams (pull, push, load, import) shown the way the docker CLI's
 * jsonmessage.DisplayJSONMessagesStream shows them: on a terminal one line per layer id,
 * redrawn in place with cursor moves and a progress bar; elsewhere each status line as it
 * comes, progress-bar-only updates left out. An errorDetail in the stream ends it as an error.
 */
import type { Readable } from 'node:stream';
import { humanSize, rfc3339NanoFixed } from './format';

export interface JsonProgressDetail {
  current?: number;
  total?: number;
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

/** One message of the stream, as jsonmessage.JSONMessage. */
export interface JsonStreamMessage {
  stream?: string;
  status?: string;
  progressDetail?: JsonProgressDetail | null;
  progress?: string;
  id?: string;
  from?: string;
  time?: number;
  timeNano?: number;
  errorDetail?: { code?: number; message?: string } | null;
  error?: string;
  aux?: unknown;
}

/** An errorDetail of the stream: the CLI prints its message as it is and exits 1. */
export class JsonStreamError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'JsonStreamError';
  }
}

/** go-units HumanSize: decimal units, 4 significant digits ("1.235MB"). */
export const humanSize4 = (n: number): string => humanSize(n, 4);

/** Go's time.Duration.String() of a whole number of seconds ("0s", "45s", "1m5s", "2h0m1s"). */
export function goDurationSeconds(sec: number): string {
  if (sec === 0) return '0s';
  const neg = sec < 0;
  let s = Math.abs(sec);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const out = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  return neg ? `-${out}` : out;
}

/** JSONProgress.String(): "[=====>     ]  1.2MB/3.4MB 5s" (the bar only when wider than 110 columns). */
export function progressString(p: JsonProgressDetail, width: number, nowMs = Date.now()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return p.units ? `${current} ${p.units}` : humanSize4(current).padStart(8);
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let pbBox = '';
  if (width > 110) pbBox = `[${'='.repeat(Math.max(0, percentage))}>${' '.repeat(Math.max(0, 50 - percentage))}] `;
  let numbersBox = '';
  if (p.hidecounts) {
    // no counts
  } else if (!p.units) {
    numbersBox = current > total ? humanSize4(current).padStart(8) : `${humanSize4(current).padStart(8)}/${humanSize4(total)}`;
  } else {
    numbersBox = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
  }
  let timeLeftBox = '';
  const start = p.start ?? 0;
  if (width > 50 && current > 0 && start > 0 && percentage < 50) {
    const fromStartNs = BigInt(Math.round(nowMs * 1e6)) - BigInt(start) * 1_000_000_000n;
    const perEntry = fromStartNs / BigInt(current);
    const leftNs = BigInt(total - current) * perEntry;
    // time.Duration.Round(time.Second): halves away from zero.
    const sec = Number((leftNs + (leftNs >= 0n ? 500_000_000n : -500_000_000n)) / 1_000_000_000n);
    timeLeftBox = ` ${goDurationSeconds(sec)}`;
  }
  return pbBox + numbersBox + timeLeftBox;
}

export interface RenderOptions {
  /** Redraw in place (cursor moves, erase line) as on a terminal. */
  isTerminal: boolean;
  /** The terminal's width (progress bars only above 110); 200 when unknown, as docker. */
  width?: number;
  /** Messages with aux are handed here and not shown. */
  onAux?: (m: JsonStreamMessage) => void;
  now?: () => number;
}

const ESC = '\x1b[';
const up = (n: number) => (n > 0 ? `${ESC}${n}A` : '');
const down = (n: number) => (n > 0 ? `${ESC}${n}B` : '');
const CLEAR_LINE = `${ESC}2K`;

/**
 * The display state of one stream: feed it messages in order; each call returns the text to
 * write, or throws a JsonStreamError for an errorDetail.
 */
export class JsonMessageRenderer {
  private ids = new Map<string, number>();

  constructor(private readonly opts: RenderOptions) {}

  private progressText(p: JsonProgressDetail): string {
    return progressString(p, this.opts.width ?? 200, this.opts.now ? this.opts.now() : Date.now());
  }

  /** The text for one message; throws at an errorDetail (what came before it is then lost: use feed). */
  render(jm: JsonStreamMessage): string {
    const r = this.feed(jm);
    if (r.error) throw r.error;
    return r.text;
  }

  /** The text for one message (jsonmessage's loop body plus JSONMessage.Display), and its error if any. */
  feed(jm: JsonStreamMessage): { text: string; error?: JsonStreamError } {
    const tty = this.opts.isTerminal;
    if (jm.aux !== undefined && jm.aux !== null) {
      this.opts.onAux?.(jm);
      return { text: '' };
    }
    const progress = jm.progressDetail ?? undefined;
    let out = '';
    let diff = 0;
    if (jm.id && (progress !== undefined || jm.progress)) {
      let line = this.ids.get(jm.id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(jm.id, line);
        if (tty) out += '\n';
      }
      diff = this.ids.size - line;
      if (tty) out += up(diff);
    } else {
      // Anything that is not a progress line ends the block of lines redrawn in place.
      this.ids = new Map();
    }
    if (jm.errorDetail) {
      if (jm.id && tty) out += down(diff);
      return { text: out, error: new JsonStreamError(jm.errorDetail.message ?? '', jm.errorDetail.code) };
    }
    const shown = this.display(jm, progress);
    if (shown !== undefined) out += shown;
    if (jm.id && tty) out += down(diff);
    return { text: out };
  }

  /** JSONMessage.Display; undefined when the message is a progress update not shown off a terminal. */
  private display(jm: JsonStreamMessage, progress: JsonProgressDetail | undefined): string | undefined {
    const tty = this.opts.isTerminal;
    let out = '';
    let endl = '';
    if (tty && !jm.stream && progress !== undefined) {
      out += `${CLEAR_LINE}\r`;
      endl = '\r';
    } else if (progress !== undefined && this.progressText(progress) !== '') {
      return undefined;
    }
    if (jm.timeNano) out += `${rfc3339NanoFixed(BigInt(jm.timeNano))} `;
    else if (jm.time) out += `${rfc3339NanoFixed(BigInt(jm.time) * 1_000_000_000n)} `;
    if (jm.id) out += `${jm.id}: `;
    if (jm.from) out += `(from ${jm.from}) `;
    const status = jm.status ?? '';
    if (progress !== undefined && tty) out += `${status} ${this.progressText(progress)}${endl}`;
    else if (jm.progress) out += `${status} ${jm.progress}${endl}`;
    else if (jm.stream) out += `${jm.stream}${endl}`;
    else out += `${status}${endl}\n`;
    return out;
  }
}

/** The lines of a JSON message stream, parsed as they arrive. */
export async function* jsonMessages(input: AsyncIterable<Buffer | string>): AsyncGenerator<JsonStreamMessage> {
  let buf = '';
  const parse = (text: string): JsonStreamMessage => {
    try {
      return JSON.parse(text) as JsonStreamMessage;
    } catch {
      throw new Error(`invalid character in JSON message stream: ${JSON.stringify(text.slice(0, 80))}`);
    }
  };
  for await (const chunk of input) {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield parse(line);
    }
  }
  if (buf.trim()) yield parse(buf.trim());
}

export interface ProgressOut {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Show a stream on out (a terminal or not, as out says unless opts say otherwise); resolves
 * when the stream ends, rejects with a JsonStreamError at an errorDetail.
 */
export async function displayJsonMessages(input: Readable | AsyncIterable<Buffer | string>, out: ProgressOut, opts: Partial<RenderOptions> = {}): Promise<void> {
  const isTerminal = opts.isTerminal ?? Boolean(out.isTTY);
  const r = new JsonMessageRenderer({ ...opts, isTerminal, width: opts.width ?? (isTerminal ? out.columns ?? 200 : 200) });
  for await (const m of jsonMessages(input)) {
    const { text, error } = r.feed(m);
    if (text) out.write(text);
    if (error) throw error;
  }
}

/** A sink for -q: shows nothing (but errors still end the stream). */
export const discard: ProgressOut = { write: () => true, isTTY: false };
