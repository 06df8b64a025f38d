import { invalidArgument } from '../domain/errors';
import { parseTimestamp } from '../domain/time';

/** Query strings as the routes read them. */
export type Query = Record<string, string | undefined>;

/** A query value as Go's r.Form.Get reads it: the first of a repeated key. */
export const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** A query key that Docker reads as a list (changes=..&changes=..). */
export const many = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Docker's boolean query values: 1, true, True. */
export const truthy = (v: string | undefined): boolean => v === '1' || v === 'true' || v === 'True';

/** A time in a query (since, until): what dockerd says of one it cannot read. */
export function timeQuery(s: string): bigint {
  try {
    return parseTimestamp(s);
  } catch {
    throw invalidArgument(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
}
