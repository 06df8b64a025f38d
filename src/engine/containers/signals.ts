import { constants } from 'node:os';
import { invalidArgument } from '../../domain/errors';

const SIGNALS = constants.signals as Record<string, number>;

/** Parse "KILL", "SIGKILL", "9" into a signal number, as Docker does. */
export function parseSignal(s: string | undefined, fallback = 'SIGKILL'): number {
  const raw = (s ?? '').trim() || fallback;
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = raw.toUpperCase().startsWith('SIG') ? raw.toUpperCase() : `SIG${raw.toUpperCase()}`;
    if (SIGNALS[name] !== undefined) return SIGNALS[name];
    const rt = /^SIGRTMIN\+(\d+)$/.exec(name);
    if (rt) return 34 + Number(rt[1]);
  }
  throw invalidArgument(`Invalid signal: ${raw}`);
}
