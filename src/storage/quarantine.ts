import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface QuarantinedItem {
  /** The entry's folder name under the quarantine. */
  id: string;
  /** Where it was, relative to the data root. */
  from: string;
  reason: string;
  time: string;
  size: number;
}

const REASON_FILE = '.wharf-quarantine.json';

/**
 * Files the journal does not know are never deleted by a boot sweep: they are moved here
 * (<data-root>/quarantine/<time>-<rand>/<path as it was under the data root>), listed in
 * `docker info`'s warnings, and removed only when the operator says so (wharf quarantine prune).
 */
export class Quarantine {
  readonly dir: string;

  constructor(readonly dataRoot: string) {
    this.dir = path.join(dataRoot, 'quarantine');
  }

  /** Move one file or directory under the data root into the quarantine. */
  async move(abs: string, reason: string): Promise<string> {
    const rel = path.relative(this.dataRoot, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`not under the data root: ${abs}`);
    const time = new Date().toISOString();
    const id = `${time.replace(/[:.]/g, '').replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
    const dest = path.join(this.dir, id, rel);
    await fsp.mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
    await fsp.rename(abs, dest);
    await writeQuarantineReason(path.join(this.dir, id), rel, reason);
    return dest;
  }

  async list(): Promise<QuarantinedItem[]> {
    const ids = await fsp.readdir(this.dir).catch(() => [] as string[]);
    const out: QuarantinedItem[] = [];
    for (const id of ids.sort()) {
      const meta = await fsp.readFile(path.join(this.dir, id, REASON_FILE), 'utf8').then((t) => JSON.parse(t) as { from: string; reason: string; time: string }, () => undefined);
      out.push({ id, from: meta?.from ?? id, reason: meta?.reason ?? 'unknown', time: meta?.time ?? '', size: await diskUsage(path.join(this.dir, id)) });
    }
    return out;
  }

  async count(): Promise<number> {
    return (await fsp.readdir(this.dir).catch(() => [] as string[])).length;
  }

  /** Delete everything in the quarantine (or the entries named); what was removed. */
  async prune(ids?: string[]): Promise<{ removed: QuarantinedItem[]; bytes: number }> {
    const items = (await this.list()).filter((i) => !ids || ids.includes(i.id));
    for (const i of items) await fsp.rm(path.join(this.dir, i.id), { recursive: true, force: true });
    return { removed: items, bytes: items.reduce((n, i) => n + i.size, 0) };
  }
}

async function diskUsage(p: string): Promise<number> {
  const st = await fsp.lstat(p).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of await fsp.readdir(p).catch(() => [] as string[])) n += await diskUsage(path.join(p, e));
  return n;
}

/** The note beside a quarantine entry: where it came from and why it is there. */
export async function writeQuarantineReason(entryDir: string, from: string, reason: string): Promise<void> {
  await fsp.writeFile(path.join(entryDir, REASON_FILE), JSON.stringify({ from, reason, time: new Date().toISOString() }) + '\n');
}
