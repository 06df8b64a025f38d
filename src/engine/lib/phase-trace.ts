import type { Logger } from 'pino';

/**
 * Where an operation's time goes: `mark(phase)` closes the phase that ran since the last mark
 * (or since the trace began), `done(msg)` logs one debug line with the milliseconds of each
 * phase and the total. Only under -D: otherwise phaseTrace() hands out a trace that does nothing.
 */
export interface PhaseTrace {
  readonly on: boolean;
  mark(phase: string): void;
  /** A field of the line (beside the phases), known along the way. */
  note(field: string, value: unknown): void;
  /** Log the line (once); fields go beside the phases. */
  done(msg: string, fields?: Record<string, unknown>): void;
}

const OFF: PhaseTrace = { on: false, mark() {}, note() {}, done() {} };

/** since: when the operation began (performance.now(), e.g. when its request arrived); now by default. */
export function phaseTrace(log: Pick<Logger, 'debug'> & { isLevelEnabled?(level: string): boolean }, since?: number): PhaseTrace {
  if (!log.isLevelEnabled?.('debug')) return OFF;
  const t0 = since ?? performance.now();
  let last = t0;
  const ms: Record<string, number> = {};
  const notes: Record<string, unknown> = {};
  let logged = false;
  return {
    on: true,
    mark(phase) {
      const now = performance.now();
      ms[phase] = round((ms[phase] ?? 0) + now - last);
      last = now;
    },
    note(field, value) {
      notes[field] = value;
    },
    done(msg, fields) {
      if (logged) return;
      logged = true;
      log.debug({ ...notes, ...fields, ms, totalMs: round(performance.now() - t0) }, msg);
    },
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
