/** Go's time.ParseDuration ("1m30s", "500ms"), in nanoseconds, with Go's error texts. */

const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseGoDuration(orig: string): number {
  const q = JSON.stringify(orig);
  let s = orig;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new Error(`time: invalid duration ${q}`);
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === '' || m[0] === '.' || (m[1] === '' && (m[2] ?? '') === '')) throw new Error(`time: invalid duration ${q}`);
    s = s.slice(m[0].length);
    const u = /^[^\d.]*/.exec(s)![0];
    if (u === '') throw new Error(`time: missing unit in duration ${q}`);
    const mul = UNITS[u];
    if (mul === undefined) throw new Error(`time: unknown unit ${JSON.stringify(u)} in duration ${q}`);
    s = s.slice(u.length);
    total += Number(m[1] || '0') * mul + (m[2] ? Math.round(Number(`0.${m[2]}`) * mul) : 0);
  }
  if (total > 9_223_372_036_854_775_807) throw new Error(`time: invalid duration ${q}`);
  return neg ? -total : total;
}
