import { table } from './format';
/**
 * The part of Go's text/template that --format strings use in practice: text, and actions
 * made of a field path (`.`, `.Name`, `.Config.Cmd`) optionally behind a function: json,
 * upper, lower, title, len, index X "key", join X "sep", truncate X n, println.
 * Anything else (range, if, ...) is refused with a clear message.
 */

export type Value = unknown;

interface Action {
  fn?: string;
  path: string[];
  args: (string | number)[];
}

type Piece = string | Action;

export class TemplateError extends Error {}

export function parseTemplate(src: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      pieces.push(src.slice(i));
      break;
    }
    if (open > i) pieces.push(src.slice(i, open));
    const close = src.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(`template parsing error: template: :1: unclosed action`);
    let body = src.slice(open + 2, close);
    // {{- and -}} trim the neighbouring white space, as in Go.
    if (body.startsWith('-')) {
      body = body.slice(1);
      const last = pieces[pieces.length - 1];
      if (typeof last === 'string') pieces[pieces.length - 1] = last.replace(/\s+$/, '');
    }
    let trimAfter = false;
    if (body.endsWith('-')) {
      body = body.slice(0, -1);
      trimAfter = true;
    }
    pieces.push(parseAction(body.trim()));
    i = close + 2;
    if (trimAfter) while (i < src.length && /\s/.test(src[i])) i++;
  }
  return pieces;
}

function tokens(s: string): string[] {
  const out: string[] = [];
  const re = /"(?:[^"\\]|\\.)*"|`[^`]*`|\S+/g;
  for (const m of s.matchAll(re)) out.push(m[0]);
  return out;
}

function parsePath(t: string): string[] {
  if (t === '.') return [];
  if (!t.startsWith('.')) throw new TemplateError(`template: unsupported expression "${t}"`);
  return t.slice(1).split('.');
}

function parseArg(t: string): string | number {
  if (t.startsWith('"')) return JSON.parse(t) as string;
  if (t.startsWith('`')) return t.slice(1, -1);
  if (/^-?\d+$/.test(t)) return Number(t);
  throw new TemplateError(`template: unsupported argument "${t}"`);
}

const FUNCS = new Set(['json', 'upper', 'lower', 'title', 'len', 'index', 'join', 'truncate', 'println', 'print']);

function parseAction(body: string): Action {
  const ts = tokens(body);
  if (ts.length === 0) throw new TemplateError('template: missing value for command');
  if (ts[0].startsWith('.')) {
    // A method with arguments: {{.Label "com.example.key"}}.
    return { path: parsePath(ts[0]), args: ts.slice(1).map(parseArg) };
  }
  if (!FUNCS.has(ts[0])) throw new TemplateError(`template: function "${ts[0]}" not supported`);
  if (ts.length < 2) throw new TemplateError(`template: wrong number of args for ${ts[0]}`);
  return { fn: ts[0], path: parsePath(ts[1]), args: ts.slice(2).map(parseArg) };
}

/** Follow a field path; a method on the way is called (the last one with args). */
function lookup(v: Value, path: string[], args: (string | number)[] = []): Value {
  let cur = v;
  for (const [i, k] of path.entries()) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof cur !== 'object') throw new TemplateError(`template: can't evaluate field ${k} in type ${typeof cur}`);
    const obj = cur as Record<string, unknown>;
    const got = obj[k];
    const last = i === path.length - 1;
    if (last && args.length && typeof got !== 'function') throw new TemplateError(`template: can't give argument to non-function .${path.join('.')}`);
    cur = typeof got === 'function' ? (got as (...a: unknown[]) => unknown).apply(obj, last ? args : []) : got;
  }
  return cur;
}

/** Go's default printing of a value ({{.X}}): maps as map[k:v], lists as [a b], nil as <nil>. */
export function goString(v: Value): string {
  if (v === null || v === undefined) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(goStringInner).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.toString === 'function' && o.toString !== Object.prototype.toString) return o.toString();
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goStringInner(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

function goStringInner(v: Value): string {
  return v === null || v === undefined ? '<nil>' : goString(v);
}

/** JSON the way the docker CLI's json template function writes it (no HTML escaping). */
export function toJson(v: Value): string {
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `__bigint__${x.toString()}` : x));
  if (s === undefined) return 'null';
  return s.replace(/"__bigint__(-?\d+)"/g, '$1');
}

function apply(a: Action, data: Value): string {
  const v = lookup(data, a.path, a.fn ? [] : a.args);
  switch (a.fn) {
    case undefined:
      return goString(v);
    case 'json':
      return isGoMap(v) ? escapeHtml(toJson(sortKeys(v))) : toJson(v);
    case 'upper':
      return goString(v).toUpperCase();
    case 'lower':
      return goString(v).toLowerCase();
    case 'title':
      return goString(v).replace(/\b\w/g, (c) => c.toUpperCase());
    case 'len':
      return String(Array.isArray(v) ? v.length : typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0);
    case 'index': {
      let cur = v;
      for (const k of a.args) cur = cur === null || cur === undefined ? undefined : (cur as Record<string, unknown>)[String(k)];
      return cur === undefined ? '<no value>' : goString(cur);
    }
    case 'join':
      return Array.isArray(v) ? v.map(goString).join(String(a.args[0] ?? '')) : goString(v);
    case 'truncate':
      return [...goString(v)].slice(0, Number(a.args[0] ?? 0)).join('');
    case 'println':
      return `${goString(v)}\n`;
    case 'print':
      return goString(v);
    default:
      throw new TemplateError(`template: function "${a.fn}" not supported`);
  }
}

export function execTemplate(pieces: Piece[], data: Value): string {
  return pieces.map((p) => (typeof p === 'string' ? p : apply(p, data))).join('');
}

/**
 * docker's --format for list commands: "table" (the default), "table <tmpl>" (headers from
 * the field names), "json" (one JSON object a line), or a template for each item.
 */
export function renderList(
  format: string,
  items: Value[],
  headers: Record<string, string>,
  toJsonItem: (v: Value) => Value = (v) => v,
): { table?: string[][]; text?: string } {
  if (format === 'json') return { text: items.map((v) => `${escapeHtml(toJson(sortKeys(toJsonItem(v))))}\n`).join('') };
  items = items.map((v) => asGoMap(v));
  const isTable = format.startsWith('table');
  const tmpl = (isTable ? format.slice(5).trimStart() : format).replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const pieces = parseTemplate(tmpl);
  if (!isTable) return { text: items.map((v) => `${execTemplate(pieces, v)}\n`).join('') };
  const headerPieces = pieces.map((p) => (typeof p === 'string' ? p : headerOf(p, headers)));
  const rows = [headerPieces.join(''), ...items.map((v) => execTemplate(pieces, v))];
  return { table: rows.map((r) => r.split('\t')) };
}

/** renderList, written out: the aligned table, or the text. */
export function printList(out: { write(s: string): unknown }, format: string, items: Value[], headers: Record<string, string>, toJsonItem?: (v: Value) => Value): void {
  const r = renderList(format, items, headers, toJsonItem);
  out.write(r.table ? table(r.table) : r.text ?? '');
}

/** A table column's header: the field's, or for {{.Label "a.b-c"}} the key's last part ("b c"), as docker's SubHeaderContext. */
function headerOf(a: Action, headers: Record<string, string>): string {
  const field = a.path[0] ?? '';
  if (field === 'Label' && !a.fn && typeof a.args[0] === 'string') return a.args[0].split('.').pop()!.replace(/[-_]/g, ' ');
  return headers[field] ?? field.toUpperCase();
}

/** Go marshals maps with sorted keys. */
export function sortKeys(v: Value): Value {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/** Go's json.Marshal escapes <, > and & in strings. */
export function escapeHtml(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

const GO_MAP = Symbol.for('wharf.cli.goMap');

/** Mark a row object as one that docker marshals as a map (sorted keys, HTML-escaped). */
export function asGoMap<T>(v: T): T {
  if (v && typeof v === 'object') Object.defineProperty(v, GO_MAP, { value: true, enumerable: false });
  return v;
}

function isGoMap(v: Value): boolean {
  return Boolean(v && typeof v === 'object' && (v as Record<symbol, unknown>)[GO_MAP]);
}
