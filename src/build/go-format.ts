/**
 * Go's fmt output that the classic builder writes into history (created_by): `%q` of strings,
 * string slices, runes and time.Duration values. Clients compare these strings, so they must
 * match Go byte for byte.
 */

const ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** strconv.IsPrint, close enough: letters, marks, numbers, punctuation, symbols and ASCII space. */
function isPrint(ch: string): boolean {
  return ch === ' ' || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch);
}

function escapeChar(ch: string, quote: string): string {
  if (ch === quote || ch === '\\') return `\\${ch}`;
  if (isPrint(ch)) return ch;
  if (ESCAPES[ch]) return ESCAPES[ch];
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** strconv.Quote */
export function goQuote(s: string): string {
  return `"${[...s].map((c) => escapeChar(c, '"')).join('')}"`;
}

/** fmt's %q of a []string: ["a" "b"] */
export function goQuoteSlice(a: readonly string[] | null | undefined): string {
  return `[${(a ?? []).map(goQuote).join(' ')}]`;
}

/** strconv.QuoteRune: fmt's %q of an int (HEALTHCHECK's Retries prints as '\x03'). */
export function goQuoteRune(n: number): string {
  return `'${escapeChar(String.fromCodePoint(n), "'")}'`;
}

/** time.Duration.String(), from nanoseconds: "0s", "500ms", "1m30s", "1h0m0s", "1.5µs". */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const u = Math.abs(ns);
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${frac(u, 1e3)}µs`;
  if (u < 1e9) return `${sign}${frac(u, 1e6)}ms`;
  const h = Math.floor(u / 3600e9);
  const m = Math.floor((u % 3600e9) / 60e9);
  const s = frac(u % 60e9, 1e9);
  if (h) return `${sign}${h}h${m}m${s}s`;
  if (m) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

/** v / unit with the fraction's trailing zeros dropped, as Go's fmtFrac does. */
function frac(v: number, unit: number): string {
  const whole = Math.floor(v / unit);
  const rest = v % unit;
  if (!rest) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}
