import type { Envelope } from '../domain/envelope';
import { EVENT_VERSION } from '../domain/events';

/** Lifts a record of one version of its type to the next version's shape. */
export type Upcaster = (e: Envelope) => Envelope;

/**
 * Upcasters by "type@fromVersion". Each lifts an old shape one version up (and sets `v` to the
 * next version); a change of an event's shape adds one here, with the new schema in
 * journal/schemas and the golden journals of journal/golden replaying to the same views.
 * None needed yet.
 */
export const UPCASTERS: Readonly<Record<string, Upcaster>> = {};

/**
 * A record lifted to its type's current version, one upcaster at a time. `table` and
 * `versions` are today's unless given (tests run the mechanism on a table of their own).
 */
export function upcast(e: Envelope, table: Readonly<Record<string, Upcaster>> = UPCASTERS, versions: Readonly<Record<string, number>> = EVENT_VERSION): Envelope {
  let cur = e;
  const target = versions[cur.type] ?? cur.v;
  while (cur.v < target) {
    const from = cur.v;
    const up = table[`${cur.type}@${from}`];
    if (!up) throw new Error(`no upcaster for ${cur.type} v${from}`);
    cur = up(cur);
    if (cur.v !== from + 1) throw new Error(`the upcaster of ${e.type} v${from} gave v${cur.v}, not v${from + 1}`);
  }
  return cur;
}
