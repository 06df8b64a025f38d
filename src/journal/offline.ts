import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { HeadFile } from './head-file';
import { JournalOpenError, LevelJournal } from './level-journal';
import type { ChainHead } from './chain';
import type { StoredEnvelope } from './codec';
import { loadEventValidator } from './schemas';

/** The journal of a stopped daemon's data root, checked without starting anything else. */
export interface OfflineCheck {
  intact: boolean;
  records: number;
  legacy: number;
  headSeq: bigint;
  headHash: string;
  acknowledgedSeq?: bigint;
  firstBad?: bigint;
  problem?: string;
  /** Not damage: a tail after the last acknowledged record the daemon will drop at boot. */
  tornTail?: string;
}

export function journalDirOf(dataRoot: string): string {
  return path.join(dataRoot, 'journal');
}

/** Open the journal of a stopped daemon; a running one holds its lock. */
async function openOffline(dataRoot: string): Promise<LevelJournal> {
  const j = new LevelJournal(journalDirOf(dataRoot));
  if (!fs.existsSync(j.location)) throw new JournalOpenError('io', `no journal in ${dataRoot} (${j.location} does not exist)`);
  await j.open();
  return j;
}

/** `wharf journal verify --data-root DIR`: the verdict boot would reach, without acting on it. */
export async function verifyOffline(dataRoot: string): Promise<OfflineCheck> {
  const j = await openOffline(dataRoot);
  try {
    const { report, anchor: raw, plan } = await j.check();
    const anchor = raw === 'unreadable' ? undefined : raw;
    const base = { records: report.records, legacy: report.legacy, headSeq: report.head.seq, headHash: report.head.hash, ...(anchor ? { acknowledgedSeq: anchor.seq } : {}) };
    if (plan.damage) {
      const firstBad = report.damage && (!anchor || report.damage.seq <= anchor.seq) ? report.damage.seq : report.head.seq + 1n;
      return { ...base, intact: false, firstBad, problem: plan.damage };
    }
    return { ...base, intact: true, ...(plan.trimFrom !== undefined ? { tornTail: plan.warnings[plan.warnings.length - 1] } : {}) };
  } finally {
    await j.close();
  }
}

export interface RepairResult {
  backup: string;
  rebuilt: boolean;
  kept: number;
  dropped: number;
  droppedFrom?: bigint;
  problem?: string;
  /** Records the head file says were acknowledged that are gone for good. */
  lostAcknowledged: bigint;
}

/**
 * `wharf journal repair --data-root DIR`: copy the journal aside (into `backupDir`), rebuild
 * LevelDB's own files when they are missing or unreadable (LevelDB's RepairDB), keep the
 * records that verify through the chain and drop every record from the first bad one, then
 * anchor the head file on what is left. The daemon boots on that; files only the dropped
 * records knew go to the quarantine at boot, never deleted.
 */
export async function repairOffline(dataRoot: string, backupDir: string): Promise<RepairResult> {
  const location = journalDirOf(dataRoot);
  if (!fs.existsSync(location)) throw new Error(`no journal in ${dataRoot}`);
  fs.mkdirSync(backupDir, { recursive: true, mode: 0o700 });
  const backup = path.join(backupDir, 'journal');
  fs.cpSync(location, backup, { recursive: true, filter: (src) => path.basename(src) !== 'LOCK' });
  if (fs.existsSync(`${location}.head`)) fs.copyFileSync(`${location}.head`, path.join(backupDir, 'journal.head'));
  let rebuilt = false;
  let j: LevelJournal;
  try {
    j = await openOffline(dataRoot);
  } catch (e) {
    if (!(e instanceof JournalOpenError) || e.kind !== 'damaged') throw e;
    await (Level as unknown as { repair(location: string): Promise<void> }).repair(location);
    rebuilt = true;
    j = await openOffline(dataRoot);
  }
  try {
    const anchor = HeadFile.read(`${location}.head`);
    const report = await j.verify();
    const lost = anchor && anchor !== 'unreadable' && anchor.seq > report.head.seq ? anchor.seq - report.head.seq : 0n;
    let dropped = 0;
    if (report.damage) dropped = await j.trimAfterDamage(report.damage.seq);
    j.headFile.write(report.head);
    return { backup: backupDir, rebuilt, kept: report.records, dropped, lostAcknowledged: lost, ...(report.damage ? { droppedFrom: report.damage.seq, problem: report.damage.problem } : {}) };
  } finally {
    await j.close();
  }
}

/**
 * The process holding a data root's journal lock (LevelDB's LOCK, an fcntl lock: listed in
 * /proc/locks), if any: a running daemon. Read without taking the lock.
 */
export function journalLockHolder(dataRoot: string): number | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(path.join(journalDirOf(dataRoot), 'LOCK'));
  } catch {
    return undefined;
  }
  let locks: string;
  try {
    locks = fs.readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  const major = (st.dev >> 8) & 0xfff;
  const minor = (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00);
  for (const line of locks.split('\n')) {
    const m = /^\d+:\s+(?:->\s+)?\S+\s+\S+\s+\S+\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (m && Number(m[4]) === st.ino && parseInt(m[2], 16) === major && parseInt(m[3], 16) === minor) return Number(m[1]);
  }
  return undefined;
}

/**
 * Read a stopped daemon's journal without changing anything: refused while a daemon holds its
 * lock; otherwise a copy of it is opened (LevelDB's own recovery writes when it opens a
 * database, so the data root itself is never opened) and removed afterwards.
 */
export async function withOfflineJournal<T>(dataRoot: string, fn: (j: LevelJournal) => Promise<T>): Promise<T> {
  const location = journalDirOf(dataRoot);
  if (!fs.existsSync(location)) throw new JournalOpenError('io', `no journal in ${dataRoot} (${location} does not exist)`);
  const holder = journalLockHolder(dataRoot);
  if (holder !== undefined) {
    throw new JournalOpenError('in-use', `the journal in ${location} is locked by a running daemon (pid ${holder}); ask it instead (without --data-root, with -H or DOCKER_HOST), or stop it first`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-journal-read-'));
  try {
    const copy = path.join(tmp, 'journal');
    fs.cpSync(location, copy, { recursive: true, filter: (src) => path.basename(src) !== 'LOCK' });
    const j = new LevelJournal(copy);
    await j.open();
    try {
      return await fn(j);
    } finally {
      await j.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * `wharf journal import --data-root DIR`: a new data root's journal made of records another
 * journal stored (an export, a golden journal), each checked against its schema, chained anew
 * and anchored. Refused when the data root has a journal already; a refused import leaves none.
 */
export async function importOffline(dataRoot: string, records: readonly StoredEnvelope[]): Promise<ChainHead> {
  const location = journalDirOf(dataRoot);
  if (fs.existsSync(location) && fs.readdirSync(location).length) throw new JournalOpenError('io', `${dataRoot} has a journal already (${location}); records are imported only into a new data root`);
  if (fs.existsSync(`${location}.head`)) throw new JournalOpenError('io', `${dataRoot} has a journal head file (${location}.head) without a journal; records are imported only into a new data root`);
  fs.mkdirSync(dataRoot, { recursive: true, mode: 0o710 });
  const j = new LevelJournal(location);
  await j.open();
  let head: ChainHead | undefined;
  try {
    j.validator = loadEventValidator();
    head = await j.restore(records);
    return head;
  } finally {
    await j.close();
    // A refused import leaves no journal behind (nothing was written to it).
    if (!head) for (const p of [location, `${location}.head`]) fs.rmSync(p, { recursive: true, force: true });
  }
}
