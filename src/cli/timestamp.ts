/**
 * --since/--until values the way the docker CLI reads them: a Go duration ("10m", "1h30m":
 * that long before now), an RFC3339-like date or time (local time when no zone is given), or
 * a unix timestamp ("1700000000" or "1700000000.123"). The daemon gets unix seconds with a
 * nine-digit fraction.
 */

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds; undefined when it is not a duration. */
export function parseGoDuration(s: string): number | undefined {
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/.exec(s);
  if (!m) return undefined;
  if (m[2] === '0') return 0;
  let total = 0;
  for (const part of m[2].matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * UNIT_NS[part[2]];
  return m[1] === '-' ? -total : total;
}

function fmt(nanos: bigint): string {
  const neg = nanos < 0n;
  const a = neg ? -nanos : nanos;
  return `${neg ? '-' : ''}${a / 1_000_000_000n}.${(a % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** The value to send to the daemon; throws with docker's message when it makes no sense. */
export function toApiTimestamp(value: string, now: number = Date.now()): string {
  if (value !== '0') {
    const d = parseGoDuration(value);
    if (d !== undefined) return fmt(BigInt(Math.round(now * 1e6 - d)));
  }
  const t = parseDate(value);
  if (t !== undefined) return fmt(t);
  if (value.includes('-')) throw new Error(`failed to parse value as time or duration: "${value}"`);
  if (!/^\d+(\.\d{1,9})?$/.test(value)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return value; // already unix seconds
}

/** RFC3339-like dates: 2006-01-02, 2006-01-02T15, 2006-01-02T15:04, ...:05[.nnn], with Z or ±07:00 or local. */
function parseDate(value: string): bigint | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  let ms: number;
  if (zone === undefined) {
    ms = new Date(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]).getTime();
  } else {
    ms = Date.UTC(...fields);
    if (zone !== 'Z' && zone !== 'z') {
      const sign = zone[0] === '-' ? -1 : 1;
      ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
    }
  }
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0') || '0');
}
