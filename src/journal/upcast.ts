import type { Envelope } from '../domain/envelope';
import { EVENT_VERSION } from '../domain/events';

type Upcaster = (e: Envelope) => Envelope;

/** Upcasters by "type@fromVersion". Each lifts an old shape one version up. None needed yet. */
const UPCASTERS: Record<string, Upcaster> = {};

export function upcast(e: Envelope): Envelope {
  let cur = e;
  while (cur.v < (EVENT_VERSION[cur.type] ?? cur.v)) {
    const up = UPCASTERS[`${cur.type}@${cur.v}`];
    if (!up) throw new Error(`no upcaster for ${cur.type} v${cur.v}`);
    cur = up(cur);
  }
  return cur;
}
