import { decode } from '../journal/codec';
import { storedOf, type ExportedRecord } from '../journal/audit';
import { Views } from './views';

/**
 * The views as plain, stable JSON, for golden journals (journal/golden/<name>/views.json):
 * Views.snapshot() (Maps as [key, value] pairs sorted by key, Sets as sorted arrays, bigints
 * as strings), printed one value a line so that a change shows as a small diff.
 */
export function viewsJson(v: Views): unknown {
  return JSON.parse(v.snapshot());
}

export function viewsJsonText(v: Views): string {
  return `${JSON.stringify(viewsJson(v), null, 1)}\n`;
}

/** Fresh views from exported records (`wharf journal export`), each decoded and upcast by today's code. */
export function replayExported(records: Iterable<ExportedRecord>): Views {
  const v = new Views();
  for (const r of records) v.apply(decode(storedOf(r)));
  return v;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
/** A Map in a snapshot: [key, value] pairs with string keys. */
const isPairs = (x: unknown[]): x is [string, unknown][] => x.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string');
const show = (x: unknown) => (x === undefined ? 'absent' : (JSON.stringify(x) ?? String(x)).slice(0, 200));

/**
 * Where two snapshots differ, field by field: one line per differing leaf, named by its path
 * (`containers["4f3a…"].restartCount: expected 1, got 2`); Map entries are matched by key.
 */
export function jsonDifferences(expected: unknown, actual: unknown, at = 'views', limit = 50, out: string[] = []): string[] {
  if (out.length >= limit) return out;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length && actual.length && isPairs(expected) && isPairs(actual)) {
      const a = new Map(expected);
      const b = new Map(actual);
      for (const k of new Set([...a.keys(), ...b.keys()])) jsonDifferences(a.get(k), b.get(k), `${at}[${JSON.stringify(k)}]`, limit, out);
      return out;
    }
    if (expected.length !== actual.length) out.push(`${at}: expected ${expected.length} items, got ${actual.length} (expected ${show(expected)}, got ${show(actual)})`);
    else for (let i = 0; i < expected.length; i++) jsonDifferences(expected[i], actual[i], `${at}[${i}]`, limit, out);
    return out;
  }
  if (isObject(expected) && isObject(actual)) {
    for (const k of new Set([...Object.keys(expected), ...Object.keys(actual)])) jsonDifferences(expected[k], actual[k], `${at}.${k}`, limit, out);
    return out;
  }
  if (JSON.stringify(expected) !== JSON.stringify(actual)) out.push(`${at}: expected ${show(expected)}, got ${show(actual)}`);
  return out;
}
