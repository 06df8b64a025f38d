/** Output formatting the docker CLI's way: tables, durations, sizes, quoting. */
import { humanDuration as humanSeconds } from '../domain/time';

/** Display width in runes (docker's tabwriter counts UTF-8 runes). */
export function width(s: string): number {
  return [...s].length;
}

/**
 * Columns aligned like docker's tabwriter (minwidth 10, padding 3): each column is as wide as
 * its widest cell plus 3, at least 10; the last column is not padded.
 */
export function table(rows: string[][], opts: { minWidth?: number; padding?: number } = {}): string {
  const minWidth = opts.minWidth ?? 10;
  const padding = opts.padding ?? 3;
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < cols - 1; c++) {
    const w = Math.max(0, ...rows.filter((r) => c < r.length - 1).map((r) => width(r[c])));
    widths.push(Math.max(minWidth, w + padding));
  }
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell + ' '.repeat(widths[c] - width(cell))))
        .join(''),
    )
    .map((l) => `${l}\n`)
    .join('');
}

/** go-units HumanDuration of milliseconds: "Less than a second", "3 seconds", "About a minute", ... */
export function humanDuration(ms: number): string {
  return humanSeconds(ms / 1000);
}

/** "2 minutes ago" for a unix time in seconds. */
export function ago(unixSeconds: number, now = Date.now()): string {
  return `${humanDuration(Math.max(0, now - unixSeconds * 1000))} ago`;
}

/** Go's %.<p>g: p significant digits, trailing zeros dropped, exponent form when large/small. */
export function formatG(v: number, precision: number): string {
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  const rounded = Number(v.toPrecision(precision));
  const e = rounded === 0 ? exp : Math.floor(Math.log10(Math.abs(rounded)));
  if (e < -4 || e >= precision) {
    const [mant, ex] = rounded.toExponential(precision - 1).split('e');
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const n = Number(ex);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = rounded.toFixed(Math.max(0, precision - 1 - e));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** go-units HumanSizeWithPrecision(size, 3): 1000-based units, "2.14MB". */
export function humanSize(size: number, precision = 3): string {
  let i = 0;
  let v = size;
  while (v >= 1000 && i < DECIMAL_UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${formatG(v, precision)}${DECIMAL_UNITS[i]}`;
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** go-units BytesSize: 1024-based units, 4 significant digits, "1.234MiB". */
export function bytesSize(size: number): string {
  let i = 0;
  let v = size;
  while (v >= 1024 && i < BINARY_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${formatG(v, 4)}${BINARY_UNITS[i]}`;
}

/** Go's strconv.Quote: double quotes, backslash escapes, printable unicode kept. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0x80 && cp < 0xa0) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** docker's formatter.Ellipsis: cut to max runes, the last one replaced by "…". */
export function ellipsis(s: string, max: number): string {
  const rs = [...s];
  if (rs.length <= max) return s;
  if (max <= 0) return '';
  return `${rs.slice(0, max - 1).join('')}…`;
}

/** A 12-hex-digit id, without the "sha256:" prefix. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Go's time.Format with "2006-01-02T15:04:05.000000000Z07:00" (local time zone), from nanoseconds. */
export function rfc3339NanoFixed(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const frac = (((nanos % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0');
  const d = new Date(ms);
  const offMin = -d.getTimezoneOffset();
  const local = new Date(ms + offMin * 60_000);
  const base = local.toISOString().slice(0, 19);
  if (offMin === 0) return `${base}.${frac}Z`;
  const sign = offMin < 0 ? '-' : '+';
  const a = Math.abs(offMin);
  return `${base}.${frac}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/**
 * Re-indent raw JSON text like Go's json.Indent(prefix "", indent): the daemon's key order and
 * number digits are kept exactly; empty objects and arrays stay "{}" and "[]".
 */
export function indentJson(raw: string, indent = '    ', level = 0): string {
  let out = '';
  let depth = level;
  let inString = false;
  let needIndent = false;
  const nl = () => `\n${indent.repeat(depth)}`;
  const s = raw.trim();
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += s[++i];
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (needIndent && c !== ']' && c !== '}') {
      needIndent = false;
      depth++;
      out += nl();
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case '{':
      case '[':
        out += c;
        needIndent = true;
        break;
      case ',':
        out += c + nl();
        break;
      case ':':
        out += ': ';
        break;
      case '}':
      case ']':
        if (needIndent) {
          needIndent = false; // empty: "{}" / "[]"
        } else {
          depth--;
          out += nl();
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}
