/**
 * What each Dockerfile instruction does to the image config, and the history text (created_by)
 * the classic builder records for it. Strings and messages were read off dockerd 20.10 with
 * DOCKER_BUILDKIT=0 (see the fixtures in instructions.test.ts).
 */
import { invalidArgument } from '../domain/errors';
import type { ImageConfig } from '../domain/events';
import { expandWord } from '../domain/shell-words';
import { healthConfig, nameValuePairs, splitQuoted, type Instruction } from './dockerfile';
import { goDuration, goQuoteRune, goQuoteSlice } from './go-format';

/** Docker's image config also carries the SHELL, which ImageConfig lacks. */
export type BuildConfig = ImageConfig & { Shell?: string[] };

export interface StageState {
  config: BuildConfig;
  author?: string;
  shell: string[];
  /** ARGs declared in this stage, with their value (--build-arg, else default, else the meta ARG's). */
  args: Map<string, string | undefined>;
  buildArgs: Record<string, string | null>;
  usedArgs: Set<string>;
  /** The meta ARGs' values, for `ARG NAME` without a default. */
  metaArgs: Map<string, string | undefined>;
  /** A CMD was set in this stage: ENTRYPOINT then keeps it instead of clearing the inherited one. */
  cmdSet: boolean;
  /** The `# escape=` character, which is also the escape of variable expansion. */
  escape: string;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Usable without an ARG; never recorded in history nor reported as unused. */
const PROXY_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);
const METADATA = new Set(['ENV', 'LABEL', 'EXPOSE', 'USER', 'WORKDIR', 'VOLUME', 'STOPSIGNAL', 'CMD', 'ENTRYPOINT', 'HEALTHCHECK', 'SHELL', 'ONBUILD', 'MAINTAINER', 'ARG']);
const BUILDKIT_ONLY = (flag: string) => `the --${flag} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`;

export function newStageState(base: BuildConfig, buildArgs: Record<string, string | null>, metaArgs: Map<string, string | undefined>, escape = '\\'): StageState {
  const config: BuildConfig = structuredClone(base);
  // Docker gives every stage a PATH when its base image has none.
  if (!(config.Env ?? []).some((e) => e.startsWith('PATH='))) config.Env = [...(config.Env ?? []), DEFAULT_PATH];
  return {
    config,
    shell: base.Shell?.length ? [...base.Shell] : [...DEFAULT_SHELL],
    args: new Map(),
    buildArgs,
    // Overriding a meta ARG consumes the build arg even if no stage re-declares it.
    usedArgs: new Set(metaArgs.keys()),
    metaArgs,
    cmdSet: false,
    escape,
  };
}

/** The ARGs before the first FROM, each expanded with the ones before it; --build-arg overrides. */
export function evalMetaArgs(metaArgs: Instruction[], buildArgs: Record<string, string | null>): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const inst of metaArgs) {
    const env = new Map([...proxyArgs(buildArgs), ...definedOnly(out)]);
    for (const [name, value] of argItems(inst, env, '\\')) out.set(name, buildArgs[name] ?? value);
  }
  return out;
}

export function fromTarget(from: Instruction, metaArgs: Map<string, string | undefined>): { image: string; name?: string; platform?: string } {
  const words = from.args.split(/\s+/);
  const env = definedOnly(metaArgs);
  const image = expandWord(words[0], env);
  if (image === '') throw invalidArgument(`base name (${words[0]}) should not be blank`);
  const target: { image: string; name?: string; platform?: string } = { image };
  if (words.length === 3) target.name = words[2].toLowerCase();
  if (from.flags.platform !== undefined) target.platform = expandWord(from.flags.platform, env);
  return target;
}

export function isMetadataOnly(keyword: string): boolean {
  return METADATA.has(keyword.toUpperCase());
}

/** Apply a metadata-only instruction: mutates state; returns the history text Docker records. */
export function applyMetadata(s: StageState, inst: Instruction): { createdBy: string } {
  const apply = APPLY[inst.keyword];
  if (!apply) throw invalidArgument(`${inst.keyword} is not a metadata-only instruction`);
  const message = apply(s, inst);
  // WORKDIR is committed with a one-element comment, the others with "#(nop) " and the message
  // as two elements joined by a space: hence one space after #(nop) for WORKDIR, two elsewhere.
  const nop = inst.keyword === 'WORKDIR' ? '#(nop) ' : '#(nop)  ';
  return { createdBy: `${s.shell.join(' ')} ${nop}${message}` };
}

type Apply = (s: StageState, inst: Instruction) => string;

const APPLY: Record<string, Apply> = {
  ENV(s, inst) {
    const env = expansionEnv(s);
    const pairs = nameValuePairs('ENV', inst.args, s.escape).map(([k, v]) => [expand(s, k, env), expand(s, v, env)]);
    const list = [...(s.config.Env ?? [])];
    for (const [k, v] of pairs) {
      const at = list.findIndex((e) => e.startsWith(`${k}=`));
      if (at >= 0) list[at] = `${k}=${v}`;
      else list.push(`${k}=${v}`);
    }
    s.config.Env = list;
    return `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
  },
  LABEL(s, inst) {
    const env = expansionEnv(s);
    const pairs = nameValuePairs('LABEL', inst.args, s.escape).map(([k, v]) => [expand(s, k, env), expand(s, v, env)]);
    s.config.Labels = { ...(s.config.Labels ?? {}) };
    for (const [k, v] of pairs) s.config.Labels[k] = v;
    return `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
  },
  MAINTAINER(s, inst) {
    s.author = inst.args;
    return `MAINTAINER ${inst.args}`;
  },
  EXPOSE(s, inst) {
    const env = expansionEnv(s);
    // Docker sorts the words as written, then expands them; a variable may hold several ports.
    const ports = splitQuoted(inst.args, s.escape)
      .sort()
      .flatMap((w) => expand(s, w, env).split(/\s+/).filter(Boolean));
    s.config.ExposedPorts = { ...(s.config.ExposedPorts ?? {}) };
    for (const p of ports.flatMap(portKeys)) s.config.ExposedPorts[p] = {};
    return `EXPOSE ${ports.join(' ')}`;
  },
  USER(s, inst) {
    s.config.User = expand(s, inst.args, expansionEnv(s));
    return `USER ${s.config.User}`;
  },
  WORKDIR(s, inst) {
    s.config.WorkingDir = resolveWorkdir(s.config.WorkingDir ?? '', expand(s, inst.args, expansionEnv(s)));
    return `WORKDIR ${s.config.WorkingDir}`;
  },
  VOLUME(s, inst) {
    const env = expansionEnv(s);
    const volumes = inst.json ? inst.json.map((v) => expand(s, v, env, false)) : inst.args.split(/\s+/).map((v) => expand(s, v, env));
    if (volumes.some((v) => v.trim() === '')) throw invalidArgument('VOLUME specified can not be an empty string');
    s.config.Volumes = { ...(s.config.Volumes ?? {}) };
    for (const v of volumes) s.config.Volumes[v] = {};
    return `VOLUME [${volumes.join(' ')}]`;
  },
  STOPSIGNAL(s, inst) {
    const sig = expand(s, inst.args, expansionEnv(s));
    checkSignal(sig);
    s.config.StopSignal = sig;
    return `STOPSIGNAL ${sig}`;
  },
  CMD(s, inst) {
    const cmd = inst.json ?? (inst.args === '' ? [...s.shell] : [...s.shell, inst.args]);
    s.config.Cmd = cmd;
    if (inst.json ? inst.json.length > 0 : inst.args !== '') s.cmdSet = true;
    return `CMD ${goQuoteSlice(cmd)}`;
  },
  ENTRYPOINT(s, inst) {
    const ep = inst.json ? (inst.json.length ? inst.json : null) : inst.args === '' ? null : [...s.shell, inst.args];
    s.config.Entrypoint = ep;
    // An ENTRYPOINT makes the CMD inherited from the base image meaningless, unless this stage set one.
    if (!s.cmdSet) s.config.Cmd = null;
    return `ENTRYPOINT ${goQuoteSlice(ep)}`;
  },
  SHELL(s, inst) {
    s.shell = [...inst.json!];
    s.config.Shell = [...inst.json!];
    return `SHELL [${inst.json!.join(' ')}]`;
  },
  HEALTHCHECK(s, inst) {
    const hc = healthConfig(inst);
    s.config.Healthcheck = hc;
    const d = (ns: number | undefined) => `"${goDuration(ns ?? 0)}"`;
    return `HEALTHCHECK &{${goQuoteSlice(hc.Test)} ${d(hc.Interval)} ${d(hc.Timeout)} ${d(hc.StartPeriod)} ${goQuoteRune(hc.Retries ?? 0)}}`;
  },
  ONBUILD(s, inst) {
    const trigger = inst.text.replace(/^\s*ONBUILD\s*/i, '');
    s.config.OnBuild = [...(s.config.OnBuild ?? []), trigger];
    return `ONBUILD ${trigger}`;
  },
  ARG(s, inst) {
    const items = argItems(inst, expansionEnv(s), s.escape);
    for (const [name, value] of items) declareArg(s, name, value);
    return `ARG ${items.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join(' ')}`;
  },
};

/** RUN: the argv, the process env (config Env plus the ARGs in scope) and the history text. */
export function runStep(s: StageState, inst: Instruction): { argv: string[]; env: string[]; createdBy: string } {
  if (inst.flags.mount !== undefined) throw invalidArgument(BUILDKIT_ONLY('mount'));
  const argv = inst.json ?? (inst.args === '' ? [...s.shell] : [...s.shell, inst.args]);
  const inScope = argsInScope(s);
  const env = [...(s.config.Env ?? []), ...inScope.map(([k, v]) => `${k}=${v}`)];
  // The "|n" prefix appears whenever any arg is in scope, proxies included, but an undeclared
  // proxy is left out of the list (so "|0 /bin/sh -c ..." is possible).
  const recorded = inScope.filter(([k]) => s.args.has(k) || !PROXY_ARGS.has(k)).map(([k, v]) => `${k}=${v}`);
  const createdBy = (inScope.length ? [`|${recorded.length}`, ...recorded, ...argv] : argv).join(' ');
  return { argv, env, createdBy };
}

/** COPY/ADD: sources and dest expanded; --chown expanded; --from as written (Docker does not expand it). */
export function copyStep(s: StageState, inst: Instruction): { sources: string[]; dest: string; from?: string; chown?: string; chmod?: string } {
  if (inst.flags.chmod !== undefined) throw invalidArgument(BUILDKIT_ONLY('chmod'));
  const env = expansionEnv(s);
  const words = inst.json ? inst.json.map((w) => expand(s, w, env, false)) : inst.args.split(/\s+/).map((w) => expand(s, w, env));
  const out: { sources: string[]; dest: string; from?: string; chown?: string } = { sources: words.slice(0, -1), dest: words[words.length - 1] };
  if (inst.flags.from !== undefined) out.from = inst.flags.from;
  if (inst.flags.chown !== undefined) out.chown = expand(s, inst.flags.chown, env);
  return out;
}

/**
 * dest is copyStep's dest: expanded but as written, not resolved against WORKDIR ("in rel ").
 * Docker writes "--chown=<x>" straight against the checksum, with no space (sic).
 */
export function copyCreatedBy(s: StageState, inst: Instruction, checksumRef: string, dest: string): string {
  const chown = inst.flags.chown !== undefined ? `--chown=${expand(s, inst.flags.chown, expansionEnv(s))}` : '';
  return `${s.shell.join(' ')} #(nop) ${inst.keyword} ${chown}${checksumRef} in ${dest} `;
}

export function unusedBuildArgs(states: StageState[], buildArgs: Record<string, string | null>): string[] {
  return Object.keys(buildArgs)
    .filter((k) => !PROXY_ARGS.has(k) && !states.some((s) => s.usedArgs.has(k)))
    .sort();
}

// ---- helpers

function definedOnly(m: Map<string, string | undefined>): Map<string, string> {
  return new Map([...m].filter((e): e is [string, string] => e[1] !== undefined));
}

function proxyArgs(buildArgs: Record<string, string | null>): [string, string][] {
  return Object.entries(buildArgs).filter((e): e is [string, string] => PROXY_ARGS.has(e[0]) && e[1] !== null);
}

/** Declared ARGs with a value, plus proxies from --build-arg, minus names the config's Env sets; sorted. */
function argsInScope(s: StageState): [string, string][] {
  const envNames = new Set((s.config.Env ?? []).map((e) => e.slice(0, e.indexOf('='))));
  const all = new Map<string, string>([...proxyArgs(s.buildArgs), ...definedOnly(s.args)]);
  return [...all].filter(([k]) => !envNames.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What $NAME sees: the config's Env (the first of a name wins, as in Docker's lexer), then the ARGs in scope. */
function expansionEnv(s: StageState): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of s.config.Env ?? []) {
    const i = e.indexOf('=');
    if (i > 0 && !env.has(e.slice(0, i))) env.set(e.slice(0, i), e.slice(i + 1));
  }
  for (const [k, v] of argsInScope(s)) env.set(k, v);
  return env;
}

function expand(s: StageState, word: string, env: Map<string, string>, quotes = true): string {
  return expandWord(s.escape === '\\' || !quotes ? word : backtickToBackslash(word), env, quotes);
}

/**
 * expandWord knows only "\" as the escape; with `# escape=`` rewrite the word so it means the
 * same: a literal "\" is escaped, "`x" becomes "\x" (inside double quotes only before " $ `).
 */
function backtickToBackslash(word: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i];
    if (quote === "'") {
      if (c === "'") quote = '';
      out += c;
    } else if (c === '\\') out += '\\\\';
    else if (c === '`' && i + 1 < word.length) {
      const next = word[++i];
      out += quote === '"' && !'"$`'.includes(next) ? `\`${next}` : `\\${next}`;
    } else {
      if (c === '"' || c === "'") quote = quote === c ? '' : quote || c;
      out += c;
    }
  }
  return out;
}

/** ARG's items: [name, expanded default or undefined]. */
function argItems(inst: Instruction, env: Map<string, string>, escape: string): [string, string | undefined][] {
  return splitQuoted(inst.args, escape).map((w) => {
    const i = w.indexOf('=');
    if (i === 0) throw invalidArgument('ARG names can not be blank');
    if (i < 0) return [w, undefined];
    const quoted = escape === '\\' ? w.slice(i + 1) : backtickToBackslash(w.slice(i + 1));
    return [w.slice(0, i), expandWord(quoted, env)];
  });
}

function declareArg(s: StageState, name: string, value: string | undefined): void {
  s.usedArgs.add(name);
  // Re-declaring without a default keeps the earlier value, as Docker's BuildArgs.AddArg does.
  if (value === undefined && s.args.has(name)) return;
  s.args.set(name, s.buildArgs[name] ?? value ?? s.metaArgs.get(name));
}

/** filepath.Join("/", current, requested), or Clean(requested) when it is absolute. */
function resolveWorkdir(current: string, requested: string): string {
  const path = requested.startsWith('/') ? requested : `/${current}/${requested}`;
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '' && p !== '.') parts.push(p);
  }
  return `/${parts.join('/')}`;
}

/** nat.ParsePortSpecs for EXPOSE: "80", "80/udp", "8000-8002/tcp" to "port/proto" keys. */
function portKeys(spec: string): string[] {
  const containerPart = spec.slice(spec.lastIndexOf(':') + 1);
  const [port, proto = 'tcp'] = containerPart.split('/');
  const p = (proto || 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(p)) throw invalidArgument(`Invalid proto: ${proto}`);
  const m = /^(\d+)(?:-(\d+))?$/.exec(port);
  const start = m ? Number(m[1]) : NaN;
  const end = m?.[2] ? Number(m[2]) : start;
  if (!m || start > 65535 || end > 65535 || end < start) throw invalidArgument(`Invalid containerPort: ${port}`);
  const keys: string[] = [];
  for (let n = start; n <= end; n++) keys.push(`${n}/${p}`);
  return keys;
}

const SIGNALS = new Set('ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL PROF PWR QUIT SEGV STKFLT STOP SYS TERM TRAP TSTP TTIN TTOU UNUSED URG USR1 USR2 VTALRM WINCH XCPU XFSZ'.split(' '));

/** signal.ParseSignal: a non-zero number, or a name with or without "SIG". */
function checkSignal(sig: string): void {
  const name = sig.toUpperCase().replace(/^SIG/, '');
  const rt = /^RTM(IN|AX)(?:([+-])(\d+))?$/.exec(name);
  const ok = /^-?\d+$/.test(sig) ? Number(sig) !== 0 : SIGNALS.has(name) || (rt !== null && (!rt[2] || (rt[1] === 'IN' ? rt[2] === '+' : rt[2] === '-')) && Number(rt[3] ?? 0) <= 15);
  if (!ok) throw invalidArgument(`Invalid signal: ${sig}`);
}
