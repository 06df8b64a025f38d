import type { Subscription } from 'rxjs';
import type { Journal } from '../journal/journal';
import { codeFingerprint, serializeCheckpoint, writeCheckpointFile } from './checkpoint';
import type { Views } from './views';

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface CheckpointerOptions {
  /** Write once this many records were applied since the last checkpoint. */
  everyRecords: number;
  /** Write this long after the first record applied since the last checkpoint (fewer records). */
  afterMs: number;
  log: Log;
  code?: string;
}

/** Defaults, and the environment's overrides (WHARF_CHECKPOINT_RECORDS, WHARF_CHECKPOINT_MS). */
export function checkpointSchedule(env: NodeJS.ProcessEnv = process.env): { everyRecords: number; afterMs: number } {
  const num = (v: string | undefined, d: number) => (v !== undefined && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : d);
  return { everyRecords: num(env.WHARF_CHECKPOINT_RECORDS, 10_000), afterMs: num(env.WHARF_CHECKPOINT_MS, 30_000) };
}

/**
 * Saves the views now and then: every `everyRecords` records, or `afterMs` after activity, and
 * at close. Off the request path: a commit only counts its records and arms a timer; the
 * snapshot is taken later, synchronously (the views are mutated synchronously by commits, so
 * it is consistent at one seq), and written asynchronously; appends never wait for it.
 */
export class Checkpointer {
  private pending = 0;
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private sub?: Subscription;
  private closed = false;
  private failedOnce = false;
  /** The last checkpoint written: its seq. */
  writtenSeq?: bigint;
  written = 0;

  constructor(
    private readonly views: Views,
    private readonly journal: Journal,
    readonly file: string,
    private readonly opts: CheckpointerOptions,
  ) {}

  /** Follow the journal's commits; `behind`: records applied since the checkpoint boot started from. */
  start(behind = 0): void {
    this.sub = this.journal.committed$.subscribe((batch) => this.note(batch.length));
    if (behind > 0) this.note(behind);
  }

  private note(n: number): void {
    if (this.closed) return;
    this.pending += n;
    if (this.pending >= this.opts.everyRecords) this.arm(0);
    else if (!this.timer) this.arm(this.opts.afterMs);
  }

  private arm(ms: number): void {
    if (this.timer) {
      if (ms > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.checkpoint();
    }, ms);
    this.timer.unref();
  }

  /**
   * Take a snapshot now and write it (after the write in flight, if any). False when nothing
   * was written: nothing new, the journal refuses writes (its views are not to be saved), or
   * the write failed (logged; boot then replays more, nothing is lost).
   */
  async checkpoint(): Promise<boolean> {
    while (this.writing) await this.writing;
    const seq = this.views.appliedSeq;
    const head = this.journal.headOf;
    if (this.journal.writeBlock || seq !== head.seq || seq === 0n || seq === this.writtenSeq) return false;
    let text: string;
    const t0 = process.hrtime.bigint();
    try {
      text = serializeCheckpoint(this.views, head, this.opts.code ?? codeFingerprint());
    } catch (e) {
      // A field the generic encoding cannot hold: say so once; boot replays the whole journal.
      if (!this.failedOnce) this.opts.log.warn({ err: (e as Error).message }, 'cannot checkpoint the views; boot will replay the whole journal');
      this.failedOnce = true;
      return false;
    }
    this.pending = 0;
    const serializeMs = Number(process.hrtime.bigint() - t0) / 1e6;
    let ok = false;
    this.writing = writeCheckpointFile(this.file, text).then(
      () => {
        ok = true;
        this.writtenSeq = seq;
        this.written++;
        this.opts.log.debug?.({ seq: seq.toString(), bytes: text.length, serializeMs }, 'views checkpoint written');
      },
      (e: Error) => {
        if (!this.failedOnce) this.opts.log.warn({ err: e.message, file: this.file }, 'cannot write the views checkpoint; boot will replay more of the journal');
        this.failedOnce = true;
      },
    ).finally(() => {
      this.writing = undefined;
    });
    await this.writing;
    return ok;
  }

  /** Graceful shutdown: stop following, then write a last checkpoint of the views as they are. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.sub?.unsubscribe();
    await this.checkpoint();
  }
}
