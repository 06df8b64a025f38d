import { constants as fsConstants, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * The files of a container's log. conmon writes `container.log` (k8s-file); on a reopen it
 * opens `container.log.tmp` (O_TRUNC|O_CREAT) and renames it over `container.log`. Every file
 * conmon writes also has a numbered name, `container.log.<8 digits>`, so that a reopen never
 * loses what the replaced file held:
 * - the current file gets its number as soon as it is seen (link);
 * - `container.log.tmp` is kept *armed*: a link to the next, empty numbered file, so the file
 *   a reopen opens has its number before conmon writes a byte to it.
 * Rotation is a reopen: the old file keeps its number and is final. Numbered files other than
 * the current one are the rotated ones (oldest = lowest number), optionally gzip'd (`.gz`).
 */
export const LOG_NAME = 'container.log';

export interface LogFile {
  path: string;
  /** The file's number; undefined for a current file not numbered yet (written while the daemon was away). */
  seq?: number;
  gz: boolean;
  ino: number;
  size: number;
}

const pad = (n: number) => String(n).padStart(8, '0');

function numberedRe(base: string): RegExp {
  return new RegExp(`^${base.replace(/\./g, '\\.')}\\.(\\d{8})(\\.gz)?$`);
}

const statOrUndefined = (p: string): Promise<Stats | undefined> => fsp.lstat(p).catch(() => undefined);

/**
 * The files holding the log whose current file is `current`, oldest first: the numbered ones
 * (a plain file before its .gz twin while it is being compressed), then the current file if it
 * has no number. The armed file (nothing written yet) is left out.
 */
export async function listLogFiles(current: string): Promise<LogFile[]> {
  const dir = path.dirname(current);
  const re = numberedRe(path.basename(current));
  const [names, cur, tmp] = await Promise.all([fsp.readdir(dir).catch(() => [] as string[]), statOrUndefined(current), statOrUndefined(`${current}.tmp`)]);
  const bySeq = new Map<number, LogFile>();
  for (const name of names) {
    const m = re.exec(name);
    if (!m) continue;
    const p = path.join(dir, name);
    const st = await statOrUndefined(p);
    if (!st || (tmp && st.ino === tmp.ino)) continue;
    const seq = Number(m[1]);
    const f: LogFile = { path: p, seq, gz: !!m[2], ino: st.ino, size: st.size };
    const had = bySeq.get(seq);
    if (!had || (had.gz && !f.gz)) bySeq.set(seq, f);
  }
  let files = [...bySeq.values()].sort((a, b) => a.seq! - b.seq!);
  // A numbered file after the current one is one being armed: nothing is written to it yet.
  const curSeq = cur && files.find((f) => f.ino === cur.ino)?.seq;
  if (curSeq !== undefined) files = files.filter((f) => f.seq! <= curSeq);
  if (cur) {
    if (!files.some((f) => f.ino === cur.ino)) files.push({ path: current, gz: false, ino: cur.ino, size: cur.size });
  }
  return files;
}

/** A log file's whole content (gunzipped). */
export async function readLogFile(f: Pick<LogFile, 'path' | 'gz'>): Promise<Buffer> {
  const data = await fsp.readFile(f.path);
  return f.gz ? gunzipSync(data) : data;
}

/**
 * Followers of a log in this process and the first file number each has still to read:
 * retention neither trims nor deletes those files, unless a follower is so far behind that
 * keeping them would pass the bound by more than `LAG_FILES` files (then it loses them, as a
 * Docker follower that far behind does).
 */
export const logFollowers = new Map<string, Set<{ needsFrom(): number | undefined }>>();
const LAG_FILES = 8;

export function followLog(current: string, f: { needsFrom(): number | undefined }): () => void {
  let set = logFollowers.get(current);
  if (!set) logFollowers.set(current, (set = new Set()));
  set.add(f);
  return () => {
    set!.delete(f);
    if (!set!.size) logFollowers.delete(current);
  };
}

/** The rotation state of one container's log: numbering, arming, retention, compression. */
export class LogFiles {
  readonly tmp: string;
  private readonly re: RegExp;

  constructor(readonly current: string) {
    this.tmp = `${current}.tmp`;
    this.re = numberedRe(path.basename(current));
  }

  private numbered(seq: number): string {
    return `${this.current}.${pad(seq)}`;
  }

  private async nextSeq(): Promise<number> {
    let max = 0;
    for (const name of await fsp.readdir(path.dirname(this.current)).catch(() => [] as string[])) {
      const m = this.re.exec(name);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max + 1;
  }

  /** A new empty numbered file, linked as `as`; false if `as` exists already (conmon made it first). */
  private async newFileAs(as: string): Promise<boolean> {
    const p = this.numbered(await this.nextSeq());
    await (await fsp.open(p, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o640)).close();
    try {
      await fsp.link(p, as);
      return true;
    } catch (e) {
      await fsp.rm(p, { force: true });
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  }

  /** Before conmon starts: a numbered current file (conmon appends to it) and an armed next one. */
  async prepare(): Promise<void> {
    await fsp.mkdir(path.dirname(this.current), { recursive: true });
    if (!(await statOrUndefined(this.current))) await this.newFileAs(this.current);
    await this.settle();
  }

  /**
   * Number the current file if it has no number yet, and arm the next one. Returns the current
   * file's size and whether a reopen now lands in a numbered file.
   */
  async settle(): Promise<{ size: number; ino?: number; armed: boolean }> {
    const cur = await statOrUndefined(this.current);
    if (cur && cur.nlink < 2) {
      await fsp.link(this.current, this.numbered(await this.nextSeq())).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT' && e.code !== 'EEXIST') throw e;
      });
    }
    const tmp = await statOrUndefined(this.tmp);
    // A tmp with one link is conmon's own, between its open and its rename: not ours to touch.
    const armed = tmp ? tmp.nlink >= 2 : await this.newFileAs(this.tmp);
    return { size: cur?.size ?? 0, ino: cur?.ino, armed };
  }

  /**
   * Keep the newest (maxFile - 1) × maxSize bytes of rotated output (a file that only partly
   * fits keeps its last whole records), delete the rest, gzip what is kept when asked.
   * (max-file 1: nothing rotated is kept, as Docker's json-file truncates then.)
   */
  async retain(maxSize: number, maxFile: number, compress: boolean, o: { running: boolean }): Promise<void> {
    const files = await listLogFiles(this.current);
    const cur = await statOrUndefined(this.current);
    const rotated = files.filter((f) => f.ino !== cur?.ino && f.seq !== undefined).reverse();
    const budget = (maxFile - 1) * maxSize;
    const needs = [...(logFollowers.get(this.current) ?? [])].map((r) => r.needsFrom()).filter((n): n is number => n !== undefined);
    const behind = needs.length ? Math.min(...needs) : Infinity;
    const protectFrom = rotated.filter((f) => f.seq! >= behind).length <= maxFile + LAG_FILES ? behind : Infinity;
    let total = 0;
    for (const [i, f] of rotated.entries()) {
      if (f.seq! >= protectFrom) continue;
      const size = f.gz ? await gzipSize(f.path) : f.size;
      // While the container runs, the file it just left is kept whole (as Docker keeps its .1),
      // even when the rotation landed a little after max-size: a follower has yet to read it.
      if (size > 0 && (total + size <= budget || (i === 0 && o.running && maxFile > 1))) {
        total += size;
        if (compress && !f.gz) await this.gzip(f);
      } else if (size > 0 && total < budget && (await this.trim(f, budget - total))) {
        total = budget;
        if (compress && !f.gz) await this.gzip(f);
      } else {
        await this.remove(f);
      }
    }
  }

  /**
   * After the container stopped: a current file at max-size or more is rotated by the daemon
   * itself, as conmon would: the armed file becomes the current one (an empty file).
   */
  async rotateStopped(maxSize: number): Promise<boolean> {
    const { size, armed } = await this.settle();
    if (size < maxSize || !armed) return false;
    await fsp.rename(this.tmp, this.current);
    return true;
  }

  private async remove(f: LogFile): Promise<void> {
    await fsp.rm(f.path, { force: true });
    // The plain twin of a .gz (compression cut short) goes with it.
    if (f.gz) await fsp.rm(f.path.slice(0, -3), { force: true });
  }

  /** Keep the last `keep` bytes, from the first whole record; false if nothing is left. */
  private async trim(f: LogFile, keep: number): Promise<boolean> {
    const data = await readLogFile(f);
    const start = data.length - keep;
    const at = start <= 0 ? 0 : data.indexOf(0x0a, start - 1) + 1;
    if (at <= 0 && start > 0) return false;
    const tail = data.subarray(at);
    if (!tail.length) return false;
    const staged = `${f.path}.trim`;
    await fsp.writeFile(staged, f.gz ? gzipSync(tail) : tail, { mode: 0o640 });
    await fsp.rename(staged, f.path);
    return true;
  }

  /** gzip beside, then drop the plain file: a reader sees one or the other, preferring the plain one. */
  private async gzip(f: LogFile): Promise<void> {
    const staged = `${f.path}.gz.part`;
    await fsp.writeFile(staged, gzipSync(await fsp.readFile(f.path)), { mode: 0o640 });
    await fsp.rename(staged, `${f.path}.gz`);
    await fsp.rm(f.path, { force: true });
  }
}

/** gzip's ISIZE: the uncompressed size (mod 2^32; log files are far smaller). */
async function gzipSize(p: string): Promise<number> {
  const fh = await fsp.open(p, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 4) return 0;
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, size - 4);
    return b.readUInt32LE(0);
  } finally {
    await fh.close();
  }
}
