import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ChainHead } from '../journal/chain';
import type { BootReport, LevelJournal } from '../journal/level-journal';
import { Views } from './views';

/**
 * Projection checkpoints: the views saved at a sequence number, so that boot replays only the
 * records after it. The file (`<data-root>/views.checkpoint`) is one header line, then the
 * views:
 *
 *   {"format":"wharf-views-checkpoint","v":1,"seq":"<n>","hash":"<h of record n>","code":"<fingerprint>","sum":"<sha256>"}\n<body>
 *
 * `hash` ties it to one history of the journal; `code` is a fingerprint of the code that builds
 * the views (a checkpoint written by another build is not trusted: its evolves may differ);
 * `sum` is the sha256 of the header without it, a newline, and the body. Written atomically
 * (temp file, fsync, rename, fsync of the directory).
 */
export const CHECKPOINT_FORMAT = 'wharf-views-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_FILE = 'views.checkpoint';

export interface CheckpointHeader {
  format: string;
  v: number;
  seq: string;
  hash: string;
  code: string;
  sum?: string;
}

/** A checkpoint read and checked on its own (not yet against the journal). */
export interface LoadedCheckpoint {
  at: ChainHead;
  views: Views;
  bytes: number;
}

// ---- generic encoding: plain JSON with tagged Maps, Sets, bigints, undefined ----
//
// Every value is encoded as itself when it is a JSON primitive (string, boolean, finite number,
// null) or an array; anything else is an object with one key `$` saying what it is:
//   {"$":"o","v":{...}} a plain object; {"$":"m","v":[[k,v],...]} a Map (insertion order kept);
//   {"$":"s","v":[...]} a Set; {"$":"b","v":"123"} a bigint; {"$":"u"} undefined;
//   {"$":"n","v":"NaN"|"Infinity"|"-Infinity"|"-0"} a number JSON cannot hold.
// Anything else (a class instance, a function, a symbol) is refused with its path: never
// dropped silently.

export function encodeValue(value: unknown, at = '$'): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return { $: 'n', v: Object.is(value, -0) ? '-0' : String(value) };
    case 'bigint':
      return { $: 'b', v: value.toString() };
    case 'undefined':
      return { $: 'u' };
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const out = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) throw new Error(`cannot checkpoint ${at}[${i}]: a hole in an array`);
          out[i] = encodeValue(value[i], `${at}[${i}]`);
        }
        return out;
      }
      if (value instanceof Map) {
        const out: unknown[] = [];
        for (const [k, v] of value) out.push([encodeValue(k, `${at}<key>`), encodeValue(v, `${at}[${String(k)}]`)]);
        return { $: 'm', v: out };
      }
      if (value instanceof Set) {
        const out: unknown[] = [];
        for (const v of value) out.push(encodeValue(v, `${at}<member>`));
        return { $: 's', v: out };
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new Error(`cannot checkpoint ${at}: a ${proto?.constructor?.name ?? 'foreign'} object (only plain objects, arrays, Maps, Sets, bigints and primitives are)`);
      }
      if (Object.getOwnPropertySymbols(value).length) throw new Error(`cannot checkpoint ${at}: it has symbol keys`);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) setOwn(out, k, encodeValue((value as Record<string, unknown>)[k], `${at}.${k}`));
      return { $: 'o', v: out };
    }
    default:
      throw new Error(`cannot checkpoint ${at}: a ${typeof value}`);
  }
}

/** obj[k] = v, also for a key `__proto__` (an own property, as JSON.parse makes it). */
function setOwn(obj: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[k] = v;
}

export function decodeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const tagged = value as { $?: string; v?: unknown };
  switch (tagged.$) {
    case 'o': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(tagged.v as Record<string, unknown>)) setOwn(out, k, decodeValue(v));
      return out;
    }
    case 'm':
      return new Map((tagged.v as [unknown, unknown][]).map(([k, v]) => [decodeValue(k), decodeValue(v)]));
    case 's':
      return new Set((tagged.v as unknown[]).map(decodeValue));
    case 'b':
      return BigInt(tagged.v as string);
    case 'u':
      return undefined;
    case 'n':
      return tagged.v === '-0' ? -0 : Number(tagged.v);
    default:
      throw new Error(`not a checkpoint value: ${JSON.stringify(value).slice(0, 80)}`);
  }
}

/** The views' own fields, encoded: every one of them, whatever they are (refused if one cannot be). */
export function encodeViews(views: Views): string {
  return JSON.stringify(encodeValue(views.checkpointFields(), 'views'));
}

/** Views from encoded fields: exactly the fields a Views has now, else refused. */
export function decodeViews(body: string): Views {
  const fields = decodeValue(JSON.parse(body));
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) throw new Error('the body is not an object');
  return Views.fromCheckpointFields(fields as Record<string, unknown>);
}

// ---- the code fingerprint ----

let fingerprintMemo: string | undefined;

/**
 * A fingerprint of the code the views are built with: the compiled projections, domain (the
 * evolves) and the journal's decoding and upcasting. Another build (an upgrade, another
 * engineer's evolve) gives another fingerprint, and its checkpoints are not trusted.
 */
export function codeFingerprint(): string {
  if (fingerprintMemo) return fingerprintMemo;
  const h = createHash('sha256');
  h.update(`${CHECKPOINT_FORMAT} v${CHECKPOINT_VERSION}\n`);
  const dirs = [__dirname, path.join(__dirname, '..', 'domain')];
  const files: string[] = [];
  for (const d of dirs) {
    for (const f of fs.readdirSync(d).sort()) if (/\.(js|ts)$/.test(f) && !/\.test\.(js|ts)$/.test(f) && !f.endsWith('.d.ts')) files.push(path.join(d, f));
  }
  for (const f of ['upcast', 'codec']) {
    const js = path.join(__dirname, '..', 'journal', `${f}${path.extname(__filename)}`);
    if (fs.existsSync(js)) files.push(js);
  }
  for (const f of files) {
    h.update(`${path.relative(path.join(__dirname, '..'), f)}\n`);
    h.update(fs.readFileSync(f));
    h.update('\n');
  }
  fingerprintMemo = h.digest('hex').slice(0, 32);
  return fingerprintMemo;
}

// ---- the file ----

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The whole file's text for views at a chain position (synchronous: a consistent snapshot). */
export function serializeCheckpoint(views: Views, at: ChainHead, code = codeFingerprint()): string {
  const body = encodeViews(views);
  const header: CheckpointHeader = { format: CHECKPOINT_FORMAT, v: CHECKPOINT_VERSION, seq: at.seq.toString(), hash: at.hash, code };
  const headerText = JSON.stringify(header);
  const sum = sha256(`${headerText}\n${body}`);
  return `${JSON.stringify({ ...header, sum })}\n${body}`;
}

export class CheckpointRejected extends Error {
  constructor(
    readonly kind: 'version' | 'damaged' | 'code' | 'foreign',
    message: string,
  ) {
    super(message);
    this.name = 'CheckpointRejected';
  }
}

/** The text of a checkpoint file, checked on its own: its format, version, checksum and code. */
export function parseCheckpoint(text: string, code = codeFingerprint()): LoadedCheckpoint {
  const nl = text.indexOf('\n');
  if (nl < 0) throw new CheckpointRejected('damaged', 'it has no header line (cut short?)');
  let header: CheckpointHeader;
  try {
    header = JSON.parse(text.slice(0, nl)) as CheckpointHeader;
  } catch {
    throw new CheckpointRejected('damaged', 'its header is not JSON');
  }
  if (!header || header.format !== CHECKPOINT_FORMAT) throw new CheckpointRejected('damaged', 'it is not a views checkpoint');
  if (header.v !== CHECKPOINT_VERSION) throw new CheckpointRejected('version', `it has format version ${String(header.v)}; this wharfd reads version ${CHECKPOINT_VERSION}`);
  const body = text.slice(nl + 1);
  const { sum, ...rest } = header;
  if (typeof sum !== 'string' || sha256(`${JSON.stringify(rest)}\n${body}`) !== sum) throw new CheckpointRejected('damaged', 'its checksum does not match its content');
  if (!/^\d+$/.test(String(header.seq)) || !/^[0-9a-f]{64}$/.test(String(header.hash))) throw new CheckpointRejected('damaged', 'its seq or hash is malformed');
  if (header.code !== code) throw new CheckpointRejected('code', `it was written by another build of the views' code (${header.code}, this one is ${code})`);
  let views: Views;
  try {
    views = decodeViews(body);
  } catch (e) {
    throw new CheckpointRejected('damaged', `its views cannot be read: ${(e as Error).message}`);
  }
  const at = { seq: BigInt(header.seq), hash: header.hash };
  if (views.appliedSeq !== at.seq) throw new CheckpointRejected('damaged', `its views are at record ${views.appliedSeq}, its header says ${at.seq}`);
  return { at, views, bytes: Buffer.byteLength(text) };
}

/** Read a checkpoint file: undefined when there is none; CheckpointRejected when it is not trusted. */
export function readCheckpoint(file: string, code = codeFingerprint()): LoadedCheckpoint | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointRejected('damaged', `it cannot be read: ${(e as Error).message}`);
  }
  return parseCheckpoint(text, code);
}

/** Write a checkpoint's text atomically: a temp file, fsync, rename over the old one, fsync of the directory. */
export async function writeCheckpointFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await fs.promises.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  const dir = await fs.promises.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** What boot did with the views: where it started from, and why not from the checkpoint. */
export interface ViewsBoot {
  views: Views;
  boot: BootReport;
  /** The checkpoint boot started from. */
  from?: ChainHead;
  /** Why the checkpoint found was not used (absent when there was none, or it was used). */
  rejected?: { kind: string; reason: string };
}

/**
 * Boot's views: from the checkpoint in `file` when it holds (its format, version, checksum,
 * code, shape, and its link into this journal), and the journal's records after it, read and
 * checked through the chain from the checkpoint's hash; else from the whole journal. A
 * checkpoint is never trusted on its word: any doubt is a full replay, with a log line.
 */
export async function bootViews(journal: LevelJournal, file: string, log: { info(o: object, m: string): void; warn(o: object, m: string): void }): Promise<ViewsBoot> {
  let views = new Views();
  let from: ChainHead | undefined;
  let rejected: ViewsBoot['rejected'];
  try {
    const ckpt = readCheckpoint(file);
    if (!ckpt) log.info({ file }, 'no views checkpoint: replaying the whole journal');
    else {
      const refused = await journal.startingPoint(ckpt.at);
      if (refused) throw new CheckpointRejected('foreign', refused);
      views = ckpt.views;
      from = ckpt.at;
      log.info({ file, seq: from.seq.toString(), bytes: ckpt.bytes }, `starting from the views checkpoint at record ${from.seq}`);
    }
  } catch (e) {
    rejected = { kind: e instanceof CheckpointRejected ? e.kind : 'unreadable', reason: (e as Error).message };
    log.warn({ file, kind: rejected.kind }, `ignoring the views checkpoint: ${rejected.reason}; replaying the whole journal`);
  }
  const boot = await journal.boot((e) => views.apply(e), from);
  return { views, boot, ...(from ? { from } : {}), ...(rejected ? { rejected } : {}) };
}
