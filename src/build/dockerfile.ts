/**
 * Dockerfile parsing for the classic builder. dockerfile-ast finds the instructions, their
 * keywords, flags and the `# escape=` directive; what it does not give is written here by
 * hand: the joined source line Docker prints after "Step N/M : " (and warns about), Go's
 * JSON-array detection, and Docker's parse-time checks with its exact messages (read off
 * dockerd 20.10 with DOCKER_BUILDKIT=0).
 */
import { DockerfileParser } from 'dockerfile-ast';
import { parseGoDuration } from '../domain/go-duration';
import { invalidArgument } from '../domain/errors';
import { splitWords } from '../domain/shell-words';
import type { HealthConfig } from '../domain/events';

export interface Instruction {
  keyword: string;
  /** What the classic builder prints after "Step N/M : ". */
  text: string;
  /** The arguments after keyword and flags, continuation lines joined. */
  args: string;
  /** Set when the exec/JSON form was used. */
  json?: string[];
  flags: Record<string, string>;
  /** 1-based. */
  line: number;
}

export interface Stage {
  index: number;
  /** Lower-cased, as Docker matches stage names case-insensitively. */
  name?: string;
  from: Instruction;
  instructions: Instruction[];
}

export interface Dockerfile {
  metaArgs: Instruction[];
  stages: Stage[];
  escape: string;
  /** Lines for the build's stderr stream, printed before "Step 1": warnings.join('\n') + '\n'. */
  warnings: string[];
  steps: number;
}

const KEYWORDS = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

const ALLOWED_FLAGS: Record<string, string[]> = {
  FROM: ['platform'],
  COPY: ['chown', 'from', 'chmod'],
  ADD: ['chown', 'chmod'],
  // Accepted by the parser; the classic builder refuses it when the step runs (instructions.ts).
  RUN: ['mount'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'retries'],
};

const JSON_FORMS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'VOLUME', 'COPY', 'ADD']);

interface AstInstruction {
  getKeyword(): string;
  getRange(): { start: { line: number }; end: { line: number } };
  getArgumentsContent(): string | null;
  getFlags?: () => { getName(): string; getValue(): string | null }[];
}

export function parseDockerfile(text: string, name = 'Dockerfile'): Dockerfile {
  if (text.length === 0) throw invalidArgument(`the Dockerfile (${name}) cannot be empty`);
  const ast = DockerfileParser.parse(text);
  const escape = ast.getEscapeCharacter();
  const lines = sourceLines(text);
  const warnings: string[] = [];
  const all = (ast.getInstructions() as unknown as AstInstruction[]).map((i) => toInstruction(i, lines, escape, warnings));
  if (all.length === 0) throw invalidArgument('failed to parse Dockerfile: file with no instructions');
  if (warnings.length) warnings.push('[WARNING]: Empty continuation lines will become errors in a future release.');
  const { metaArgs, stages } = splitStages(all);
  const steps = metaArgs.length + stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
  return { metaArgs, stages, escape, warnings, steps };
}

/** One instruction on its own, e.g. an ONBUILD trigger run by a downstream FROM. */
export function parseInstruction(text: string): Instruction {
  const ast = DockerfileParser.parse(text);
  const [first] = ast.getInstructions() as unknown as AstInstruction[];
  if (!first) throw invalidArgument('failed to parse Dockerfile: file with no instructions');
  return toInstruction(first, sourceLines(text), ast.getEscapeCharacter(), []);
}

/** Go's line scanner: split on \n, drop a trailing \r and the first line's BOM. */
function sourceLines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split('\n').map((l) => l.replace(/\r$/, ''));
}

function toInstruction(ast: AstInstruction, lines: string[], escape: string, warnings: string[]): Instruction {
  const range = ast.getRange();
  const line = range.start.line + 1;
  const keyword = ast.getKeyword().toUpperCase();
  const joined = joinContinuation(lines.slice(range.start.line, range.end.line + 1), escape);
  if (joined.emptyContinuation) warnings.push(`[WARNING]: Empty continuation line found in:\n    ${joined.line}`);
  const fail = (msg: string) => invalidArgument(`dockerfile parse error line ${line}: ${msg}`);
  if (!KEYWORDS.has(keyword)) throw fail(`unknown instruction: ${keyword}`);
  const flags = astFlags(ast, keyword, fail);
  const args = (ast.getArgumentsContent() ?? '').trim();
  const inst: Instruction = { keyword, text: joined.line.trim(), args, flags, line };
  if (JSON_FORMS.has(keyword)) inst.json = jsonArray(args);
  validate(inst, escape, fail);
  return inst;
}

/**
 * Docker's continuation rules: the escape character (plus trailing blanks) ends a continued
 * line; comment lines inside are dropped; blank ones are dropped with a warning; only the first
 * line loses its leading whitespace.
 */
function joinContinuation(physical: string[], escape: string): { line: string; emptyContinuation: boolean } {
  const cont = new RegExp(`${escape === '`' ? '`' : '\\\\'}[ \\t]*$`);
  let [line, ...rest] = physical;
  line = line.trimStart();
  let continued = cont.test(line);
  line = line.replace(cont, '');
  let emptyContinuation = false;
  for (const next of rest) {
    if (!continued) break;
    if (/^\s*#/.test(next)) continue;
    if (next.trim() === '') {
      emptyContinuation = true;
      continue;
    }
    continued = cont.test(next);
    line += next.replace(cont, '');
  }
  return { line, emptyContinuation };
}

function astFlags(ast: AstInstruction, keyword: string, fail: (m: string) => Error): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const f of ast.getFlags?.() ?? []) {
    const name = f.getName();
    if (!(ALLOWED_FLAGS[keyword] ?? []).includes(name)) throw fail(`Unknown flag: ${name}`);
    const value = f.getValue();
    if (value === null) throw fail(`Missing a value on flag: ${name}`);
    flags[name] = value;
  }
  return flags;
}

/**
 * Go's json.Decoder reads the first value and ignores what follows it, so `CMD ["a"] x` is the
 * exec form ["a"]; text that is not a JSON array is the shell form; an array of non-strings is
 * an error.
 */
export function jsonArray(args: string): string[] | undefined {
  const s = args.trimStart();
  if (!s.startsWith('[')) return undefined;
  const end = arrayEnd(s);
  if (end < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(s.slice(0, end + 1));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === 'string')) throw invalidArgument('failed to parse Dockerfile: when using JSON array syntax, arrays must be comprised of strings only');
  return value as string[];
}

/** Index of the "]" closing the array that starts s, outside strings; -1 when unclosed. */
function arrayEnd(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') && --depth === 0) return i;
  }
  return -1;
}

function validate(inst: Instruction, escape: string, fail: (m: string) => Error): void {
  const { keyword, args } = inst;
  const words = args === '' ? [] : args.split(/\s+/);
  switch (keyword) {
    case 'FROM':
      if (!(words.length === 1 || (words.length === 3 && words[1].toLowerCase() === 'as'))) throw fail('FROM requires either one or three arguments');
      if (words.length === 3 && !/^[a-z][a-z0-9-_.]*$/.test(words[2].toLowerCase()))
        throw fail(`invalid name for build stage: "${words[2].toLowerCase()}", name can't start with a number or contain symbols`);
      break;
    case 'COPY':
    case 'ADD':
      if ((inst.json ?? words).length < 2) throw fail(`${keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
      break;
    case 'ENV':
    case 'LABEL':
      nameValuePairs(keyword, args, escape);
      break;
    case 'ONBUILD':
      validateTrigger(words[0], fail);
      break;
    case 'SHELL':
      if (!inst.json) throw fail('SHELL requires the arguments to be in JSON form');
      if (inst.json.length === 0) throw fail('SHELL requires at least one argument');
      break;
    case 'VOLUME':
      if ((inst.json ?? words).length === 0) throw fail('VOLUME requires at least one argument');
      if ((inst.json ?? words).some((v) => v.trim() === '')) throw fail('VOLUME specified can not be an empty string');
      break;
    case 'USER':
    case 'WORKDIR':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
      if (args === '') throw fail(`${keyword} requires exactly one argument`);
      break;
    case 'EXPOSE':
    case 'ARG':
      if (args === '') throw fail(`${keyword} requires at least one argument`);
      break;
    case 'HEALTHCHECK':
      healthConfig(inst);
      break;
  }
}

function validateTrigger(trigger: string | undefined, fail: (m: string) => Error): void {
  const t = (trigger ?? '').toUpperCase();
  if (t === '') throw fail('ONBUILD requires at least one argument');
  if (t === 'ONBUILD') throw fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (t === 'MAINTAINER' || t === 'FROM') throw fail(`${t} isn't allowed as an ONBUILD trigger`);
}

/** HEALTHCHECK's type (NONE or CMD, upper-cased) and the command text after it. */
export function healthcheckArgs(inst: Instruction, fail: (m: string) => Error = invalidArgument): { type: 'NONE' | 'CMD'; rest: string } {
  const m = /^(\S*)\s*([\s\S]*)$/.exec(inst.args)!;
  const type = m[1].toUpperCase();
  if (type === '') throw fail('HEALTHCHECK requires at least one argument');
  if (type === 'NONE') {
    if (m[2] !== '') throw fail('HEALTHCHECK NONE takes no arguments');
    return { type, rest: '' };
  }
  if (type !== 'CMD') throw fail(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  if (m[2] === '' || (jsonArray(m[2])?.length ?? 1) === 0) throw fail('Missing command after HEALTHCHECK CMD');
  return { type, rest: m[2] };
}

/**
 * ENV and LABEL: `name=value ...` (quotes and escapes kept for the expansion step), or the
 * legacy `name value with spaces` when the first word has no "=".
 */
export function nameValuePairs(keyword: string, args: string, escape = '\\'): [string, string][] {
  const words = splitQuoted(args, escape);
  if (words.length === 0) throw invalidArgument(`failed to parse Dockerfile: ${keyword} must have two arguments`);
  if (!words[0].includes('=')) {
    const m = /^(\S+)\s+([\s\S]+)$/.exec(args);
    if (!m) throw invalidArgument(`failed to parse Dockerfile: ${keyword} must have two arguments`);
    return [[m[1], m[2].trim()]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i < 0) throw invalidArgument(`failed to parse Dockerfile: Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

/** Whitespace-separated words; quotes and escapes group but stay in the word. */
export const splitQuoted = splitWords;

function splitStages(all: Instruction[]): { metaArgs: Instruction[]; stages: Stage[] } {
  const metaArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const inst of all) {
    if (inst.keyword === 'FROM') {
      const words = inst.args.split(/\s+/);
      stages.push({ index: stages.length, name: words[2]?.toLowerCase(), from: inst, instructions: [] });
    } else if (stages.length) stages[stages.length - 1].instructions.push(inst);
    else if (inst.keyword === 'ARG') metaArgs.push(inst);
    else throw invalidArgument('no build stage in current context');
  }
  return { metaArgs, stages };
}

/** HEALTHCHECK's config, durations in nanoseconds (zero values left out, as Docker's JSON does). */
export function healthConfig(inst: Instruction): HealthConfig {
  const fail = (m: string) => invalidArgument(`dockerfile parse error line ${inst.line}: ${m}`);
  const { type, rest } = healthcheckArgs(inst, fail);
  if (type === 'NONE') return { Test: ['NONE'] };
  const json = jsonArray(rest);
  const hc: HealthConfig = { Test: json ? ['CMD', ...json] : ['CMD-SHELL', rest] };
  const dur = (flag: string): number | undefined => {
    const v = inst.flags[flag];
    if (v === undefined || v === '') return undefined;
    let ns: number;
    try {
      ns = parseGoDuration(v);
    } catch (e) {
      throw fail((e as Error).message);
    }
    if (ns < 1e6) throw fail(`Interval "${flag}" cannot be less than 1ms`);
    return ns;
  };
  const [interval, timeout, startPeriod] = [dur('interval'), dur('timeout'), dur('start-period')];
  if (interval) hc.Interval = interval;
  if (timeout) hc.Timeout = timeout;
  if (startPeriod) hc.StartPeriod = startPeriod;
  const retries = inst.flags.retries;
  if (retries !== undefined && retries !== '') {
    if (!/^[+-]?\d+$/.test(retries)) throw fail(`strconv.ParseInt: parsing "${retries}": invalid syntax`);
    if (Number(retries) < 1) throw fail(`--retries must be at least 1 (not ${Number(retries)})`);
    hc.Retries = Number(retries);
  }
  return hc;
}
