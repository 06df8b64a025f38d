import { internal, invalidArgument } from '../domain/errors';
import { parseTimestamp } from '../domain/time';

/** Query strings as the routes read them. */
export type Query = Record<string, string | undefined>;

/** A query value as Go's r.Form.Get reads it: the first of a repeated key. */
export const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** A query key that Docker reads as a list (changes=..&changes=..). */
export const many = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Docker's boolean query values: 1, true, True. */
/** A boolean query value as dockerd's httputils.BoolValue reads it: anything but "", 0, no, false or none is true. */
export const truthy = (v: string | undefined): boolean => !['', '0', 'no', 'false', 'none'].includes((v ?? '').trim().toLowerCase());

/** A time in a query (since, until): what dockerd says of one it cannot read. */
export function timeQuery(s: string): bigint {
  try {
    return parseTimestamp(s);
  } catch {
    throw invalidArgument(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64), with its error text. */
function parseInt64(s: string): bigint {
  if (!/^[+-]?\d+$/.test(s)) throw internal(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n < INT64_MIN || n > INT64_MAX) throw internal(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

/**
 * /events' since and until as dockerd reads them (api/types/time ParseTimestamps, then
 * eventTime): "seconds" or "seconds.fraction" (more than 9 fraction digits are cut), in
 * nanoseconds; undefined for none ("" or seconds -1). Anything else is refused with a 500
 * and strconv's text, as dockerd does: the docker CLI turns RFC3339 and durations into
 * seconds itself and never sends them.
 */
export function unixTimeQuery(s: string | undefined): bigint | undefined {
  if (s === undefined || s === '') return undefined;
  const dot = s.indexOf('.');
  const sec = parseInt64(dot < 0 ? s : s.slice(0, dot));
  let nsec = 0n;
  if (dot >= 0) {
    const frac = s.slice(dot + 1);
    const n = parseInt64(frac);
    const digits = frac.length; // as Go counts them, a sign too
    nsec = digits <= 9 ? n * 10n ** BigInt(9 - digits) : n / 10n ** BigInt(digits - 9);
  }
  if (sec === -1n) return undefined;
  return sec * 1_000_000_000n + nsec;
}
