import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { invalidArgument } from '../domain/errors';
import { DOCKER_CHECKS } from './docker-checks';

/**
 * Request validation at the edge: every body and query is checked against the shapes in
 * api/schemas/ before a route runs, and a wrong one is refused with the message dockerd
 * gives (Go's encoding/json for bodies, strconv for query values, dockerd's own checks).
 * The messages come from the schemas' annotations (see schemas/go-json.ts), never from
 * per-route code.
 */

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  allOf?: Schema[];
  goType?: string;
  goStruct?: string;
  goValue?: string;
  goStrSlice?: boolean;
  goDecode?: 'strslice' | 'nullToEmpty';
  goParse?: string;
  goEOF?: string;
  dockerMessage?: string;
  dockerCheck?: string;
}

const ANNOTATIONS = ['goType', 'goStruct', 'goValue', 'goStrSlice', 'goDecode', 'goParse', 'goEOF', 'dockerMessage'];

function newAjv(allErrors: boolean): Ajv {
  // Bodies are taken as sent: no coercion (Go refuses "1" for an int64), no defaults, no
  // removal of unknown fields (the engine reads fields the schemas do not list).
  const ajv = new Ajv({ allErrors, verbose: true, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false });
  for (const keyword of ANNOTATIONS) ajv.addKeyword({ keyword, schemaType: ['string', 'boolean'] });
  // A check dockerd makes after decoding, by name (api/docker-checks.ts); its message is the error's.
  const dockerCheck = (name: string, data: unknown): boolean => {
    const message = DOCKER_CHECKS[name]?.(data);
    dockerCheck.errors = message === undefined ? undefined : [{ keyword: 'dockerCheck', message, params: { name } }];
    return message === undefined;
  };
  dockerCheck.errors = undefined as undefined | Partial<ErrorObject>[];
  ajv.addKeyword({ keyword: 'dockerCheck', schemaType: 'string', errors: true, validate: dockerCheck });
  return ajv;
}

// A first pass stops at the first error, so a wrong body costs little. Go reports the first
// error in document order: for a body of reasonable size a second pass collects them all to
// find it (a huge body with thousands of wrong items is reported by its first in schema order).
const firstError = newAjv(false);
const allErrors = newAjv(true);
const ALL_ERRORS_MAX_NODES = 10_000;

interface Validators {
  first: ValidateFunction;
  /** Compiled on the first refusal: most schemas never need it, and compiling costs. */
  all?: ValidateFunction;
}
const compiled = new WeakMap<object, Validators>();

/** A request with no body, or one of blanks only (fastify would give null for it, as for "null"). */
export const EMPTY_BODY = Symbol('empty body');

/** fastify's validator compiler for body, querystring and params. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  let v = compiled.get(schema as object);
  if (!v) compiled.set(schema as object, (v = { first: firstError.compile(schema as object) }));
  const validators = v;
  const { first } = v;
  const root = schema as Schema;
  return (data: unknown) => {
    // No body, or only blanks: Go's decoder meets EOF, which the endpoints that need a body refuse.
    if (httpPart === 'body' && data === EMPTY_BODY) return root.goEOF ? { error: invalidArgument(root.goEOF) } : { value: undefined };
    if (httpPart === 'body' && data === null) return { value: undefined };
    if (httpPart === 'body') canonicalise(root, data);
    if (first(data)) {
      decode(root, data);
      return { value: data };
    }
    let validate = first;
    if (httpPart === 'body' && nodesUpTo(data, ALL_ERRORS_MAX_NODES) < ALL_ERRORS_MAX_NODES) {
      validators.all ??= allErrors.compile(schema as object);
      validators.all(data);
      validate = validators.all;
    }
    const message = httpPart === 'body' ? bodyMessage(root, data, validate) : queryMessage(validate);
    return { error: invalidArgument(message) };
  };
};

/** How many values a JSON document holds, counted up to max. */
function nodesUpTo(data: unknown, max: number): number {
  let n = 0;
  const stack: unknown[] = [data];
  while (stack.length && n < max) {
    const v = stack.pop();
    n++;
    if (v !== null && typeof v === 'object') for (const x of Object.values(v)) stack.push(x);
  }
  return n;
}

/** Go's encoding/json refuses a document nested deeper than this. */
const MAX_NESTING_DEPTH = 10_000;

/** The message Go gives for a document nested too deep, or undefined (strings are skipped). */
export function tooDeep(text: string): string | undefined {
  if (text.length <= MAX_NESTING_DEPTH) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING_DEPTH) return `invalid character '${text[i]}' exceeded max depth`;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/** Check a body read outside fastify (an upgraded connection's), as a route's would be. */
export function checkBody<T>(schema: object, data: unknown): T | undefined {
  const validate = validatorCompiler({ schema, httpPart: 'body', method: 'POST', url: '' }) as (d: unknown) => { value?: unknown; error?: Error };
  const r = validate(data);
  if (r.error) throw r.error;
  return r.value as T | undefined;
}

// ---- bodies: Go's encoding/json ----

const NUMERIC = /^(u?int(8|16|32|64)?|float(32|64)|time\.Duration)$/;

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string, number, object
}

function pathOf(instancePath: string): string[] {
  return instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Where an error's value sits in the schema: the Go struct around it and the field path. */
function locate(root: Schema, segments: string[]): { schema: Schema; struct?: string; fields: string[]; depth: number } {
  let s: Schema = root;
  let struct: string | undefined;
  const fields: string[] = [];
  let depth = 0;
  for (const seg of segments) {
    if (s.goStrSlice) break; // a StrSlice is one value to Go: its errors are about the whole of it
    let next: Schema | undefined;
    if (s.properties && Object.hasOwn(s.properties, seg)) {
      struct = s.goStruct ?? struct;
      fields.push(seg);
      next = s.properties[seg];
    } else if (s.patternProperties) next = Object.values(s.patternProperties)[0];
    else if (s.additionalProperties && typeof s.additionalProperties === 'object') next = s.additionalProperties;
    else if (s.items) next = s.items;
    if (!next) break;
    s = next;
    depth++;
  }
  return { schema: s, struct, fields, depth };
}

function valueAt(data: unknown, segments: string[]): unknown {
  let v = data;
  for (const seg of segments) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
  return v;
}

/** The position of a path in the document: key order of each object on the way (Go decodes in that order). */
function documentOrder(data: unknown, segments: string[]): number[] {
  const order: number[] = [];
  let v = data;
  for (const seg of segments) {
    if (Array.isArray(v)) order.push(Number(seg));
    else if (v !== null && typeof v === 'object') order.push(Object.keys(v).indexOf(seg));
    else break;
    v = (v as Record<string, unknown>)[seg];
  }
  return order;
}

function compareOrder(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

const fill = (template: string, value: unknown) => template.replace(/\{value\}/g, typeof value === 'string' ? value : JSON.stringify(value));

function bodyMessage(root: Schema, data: unknown, validate: ValidateFunction): string {
  const errors = (validate.errors ?? []) as (ErrorObject & { parentSchema?: Schema })[];
  // Decoding errors come first (Go decodes the whole body before dockerd checks anything),
  // in document order; then dockerd's checks.
  const isCheck = (e: ErrorObject & { parentSchema?: Schema }) => Boolean(e.parentSchema?.dockerMessage) || e.keyword === 'dockerCheck';
  const decoding = errors.filter((e) => !isCheck(e));
  const checks = errors.filter(isCheck);
  if (decoding.length) {
    const first = decoding
      .map((e) => ({ e, segs: pathOf(e.instancePath) }))
      .sort((a, b) => compareOrder(documentOrder(data, a.segs), documentOrder(data, b.segs)))[0];
    const { schema, struct, fields, depth } = locate(root, first.segs);
    const value = valueAt(data, first.segs.slice(0, depth));
    const goType = schema.goType ?? 'interface {}';
    let kind = jsonKind(value);
    if (kind === 'number' && NUMERIC.test(goType)) kind = `number ${String(value).replace('e+', 'e')}`;
    if (!fields.length) return `json: cannot unmarshal ${kind} into Go value of type ${root.goValue ?? goType}`;
    return `json: cannot unmarshal ${kind} into Go struct field ${struct}.${fields.join('.')} of type ${goType}`;
  }
  const c = checks[0];
  if (c.keyword === 'dockerCheck') return c.message!;
  return fill(c.parentSchema!.dockerMessage!, valueAt(data, pathOf(c.instancePath)));
}

/** A body that is not JSON, in Go's words where they can be told (a cut-off body is "unexpected EOF"). */
export function jsonSyntaxMessage(e: Error, text = ''): string {
  const msg = e.message;
  const at = /at position (\d+)/.exec(msg);
  const pos = at ? Number(at[1]) : -1;
  // Past the end (or V8's own words for it): Go's decoder ran out of input.
  if (/end of JSON input|Unterminated string/.test(msg) || (pos >= 0 && pos >= text.trimEnd().length)) return 'unexpected EOF';
  const ch = pos >= 0 ? text[pos] : /Unexpected token '?(.)'?/.exec(msg)?.[1];
  if (ch === undefined) return `invalid JSON: ${msg}`;
  const c = ch === '\n' ? '\\n' : ch === '\t' ? '\\t' : ch;
  // encoding/json's scanner, by what it was looking for.
  if (/double-quoted property name|property name or '\}'/.test(msg)) return `invalid character '${c}' looking for beginning of object key string`;
  if (/':' after property name/.test(msg)) return `invalid character '${c}' after object key`;
  if (/',' or '\}' after property value/.test(msg)) return `invalid character '${c}' after object key:value pair`;
  if (/',' or '\]' after array element/.test(msg)) return `invalid character '${c}' after array element`;
  if (/Bad control character in string literal/.test(msg)) return `invalid character '${c}' in string literal`;
  if (/non-whitespace character after JSON/.test(msg)) return `invalid character '${c}' after top-level value`;
  return `invalid character '${c}' looking for beginning of value`;
}

// ---- query strings: strconv and dockerd's messages ----

function queryMessage(validate: ValidateFunction): string {
  const e = (validate.errors ?? [])[0] as ErrorObject & { parentSchema?: Schema; data?: unknown };
  const key = pathOf(e.instancePath)[0] ?? '';
  const value = Array.isArray(e.data) ? e.data[0] : e.data;
  if (e.keyword === 'dockerCheck') return e.message!;
  if (e.parentSchema?.dockerMessage) return fill(e.parentSchema.dockerMessage, value);
  if (e.parentSchema?.goParse) {
    const reason = /^[+-]?[0-9]+$/.test(String(value)) ? 'value out of range' : 'invalid syntax';
    return `${e.parentSchema.goParse}: parsing ${JSON.stringify(String(value))}: ${reason}`;
  }
  return `invalid value for ${key}: ${String(value)}`;
}

// ---- keys: Go matches a struct's field names case-insensitively ----

/**
 * Go's encoding/json folds case (and ſ/K, which Unicode folds to s/k) to match a key to a
 * struct field when no field has the key's exact name.
 */
const foldKey = (k: string) => k.replace(/\u017f/g, 's').replace(/\u212a/g, 'k').toLowerCase();

const foldIndexes = new WeakMap<Schema, Map<string, string>>();
function foldIndex(s: Schema): Map<string, string> {
  let index = foldIndexes.get(s);
  if (!index) {
    index = new Map();
    for (const name of Object.keys(s.properties ?? {})) if (!index.has(foldKey(name))) index.set(foldKey(name), name);
    foldIndexes.set(s, index);
  }
  return index;
}

/**
 * Rename the keys of a body's structs to their fields' names, as Go's decoder matches them
 * (an exact name first, else the first field equal under case folding), so that validation
 * and the engine see one spelling. Maps (Labels, Env-like options, ExposedPorts, Volumes)
 * keep their keys as sent. A field given twice is decoded twice, as Go does: the later
 * value wins, except that a struct or map decoded into one already there is merged into it.
 */
function canonicalise(s: Schema, v: unknown): void {
  if (v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    if (s.items && !s.goStrSlice) for (const x of v) canonicalise(s.items, x);
    return;
  }
  const o = v as Record<string, unknown>;
  if (s.properties) {
    const props = s.properties;
    const index = foldIndex(s);
    const keys = Object.keys(o);
    const names = keys.map((k) => (Object.hasOwn(props, k) ? k : (index.get(foldKey(k)) ?? k)));
    if (names.some((n, i) => n !== keys[i])) {
      const entries = keys.map((k, i) => [names[i], o[k]] as const);
      for (const k of keys) delete o[k];
      for (const [name, value] of entries) {
        if (Object.hasOwn(props, name)) canonicalise(props[name], value);
        // defineProperty: a key such as "__proto__" stays a plain key, as JSON.parse made it.
        Object.defineProperty(o, name, { value: Object.hasOwn(o, name) ? mergeDecoded(o[name], value) : value, enumerable: true, writable: true, configurable: true });
      }
      return;
    }
    for (const k of keys) if (Object.hasOwn(props, k)) canonicalise(props[k], o[k]);
    return;
  }
  const values = s.patternProperties ? Object.values(s.patternProperties)[0] : typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  if (values) for (const k of Object.keys(o)) canonicalise(values, o[k]);
}

/** A value decoded over one already decoded: objects (structs, maps) merge, anything else replaces. */
function mergeDecoded(prev: unknown, next: unknown): unknown {
  const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (!isObject(prev) || !isObject(next)) return next;
  for (const k of Object.keys(next)) {
    Object.defineProperty(prev, k, { value: Object.hasOwn(prev, k) ? mergeDecoded(prev[k], next[k]) : next[k], enumerable: true, writable: true, configurable: true });
  }
  return prev;
}

// ---- what a body that passed becomes: Go's decoding of nulls and string slices ----

function decode(s: Schema, v: unknown): unknown {
  if (v === null || typeof v !== 'object') {
    if (s.goDecode === 'strslice' && typeof v === 'string') return [v];
    return v;
  }
  if (Array.isArray(v)) {
    const item = s.items;
    for (let i = 0; i < v.length; i++) {
      if (v[i] === null && s.goDecode) v[i] = '';
      else if (item) v[i] = decode(item, v[i]);
    }
    return v;
  }
  const o = v as Record<string, unknown>;
  if (s.properties) {
    for (const [k, ps] of Object.entries(s.properties)) {
      if (!Object.hasOwn(o, k)) continue;
      // A struct field given as null keeps its zero value in Go: to the engine, as if absent.
      if (o[k] === null) delete o[k];
      else o[k] = decode(ps, o[k]);
    }
  }
  const values = s.patternProperties ? Object.values(s.patternProperties)[0] : undefined;
  if (values) {
    for (const k of Object.keys(o)) {
      if (o[k] === null && s.goDecode === 'nullToEmpty') o[k] = '';
      else o[k] = decode(values, o[k]);
    }
  }
  return v;
}

/**
 * Query strings as Go's r.Form: a key given twice keeps its first value, except the few
 * that Docker reads as lists (build's extrahosts among them; build reads its repeated t itself,
 * since stop and restart take the first).
 */
const MULTI = new Set(['changes', 'names', 'extrahosts']);
export function parseQuery(qs: string): Record<string, string | string[]> {
  const out = Object.create(null) as Record<string, string | string[]>;
  for (const [k, v] of new URLSearchParams(qs)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (MULTI.has(k)) out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
