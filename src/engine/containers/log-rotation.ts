import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { ContainerView } from '../../domain/container';
import { logConfigOf, logPolicyOf, type LogPolicy } from '../../domain/log-driver';
import { LogFiles } from '../../runtime/log-files';


import type { EngineDeps } from '../ports';

/** What log-rotation uses of the engine. */
export type LogRotationDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'containersDir' | 'log' | 'locks'>;
/** The file conmon writes a container's output to (k8s-file), the one inspect's LogPath names. */
export function logPath(ctx: Pick<LogRotationDeps, 'containersDir'>, id: string): string {
  return path.join(ctx.containersDir, id, 'container.log');
}

type Rotation = Extract<LogPolicy, { kind: 'rotate' }>;

const MiB = 1024 * 1024;
/** --log-driver none: nothing is kept; attach reads a file conmon starts afresh at this size. */
const NONE_CAP = MiB;

/** How a container's LogConfig is applied (a stored config that no longer checks is kept whole). */
export function logPolicyOfContainer(c: ContainerView): LogPolicy {
  try {
    return logPolicyOf(logConfigOf(c.hostConfig.LogConfig));
  } catch {
    return { kind: 'keep' };
  }
}

/**
 * conmon's --log-size-max. With rotation it is only the bound while wharfd is away: wharfd
 * rotates at max-size, and conmon's counter (which a requested reopen does not reset) reaches
 * this much later; when it does, conmon reopens into the armed (numbered) file, which loses
 * nothing. While wharfd is down no file is armed after the first: each later file is replaced
 * at this size, so the disk stays bounded and what was written between is lost.
 */
export function conmonLogCap(p: LogPolicy): number | undefined {
  if (p.kind === 'none') return NONE_CAP;
  if (p.kind === 'rotate') return Math.max(4 * p.maxSize, 4 * MiB);
  return undefined;
}

/** Before conmon starts: a numbered current file and an armed next one. */
export async function prepareLog(ctx: LogRotationDeps, c: ContainerView): Promise<void> {
  if (logPolicyOfContainer(c).kind === 'rotate') await new LogFiles(logPath(ctx, c.id)).prepare();
}

/**
 * Rotation (json-file/local with max-size): while a container runs, its log is watched and,
 * once the current file reaches max-size, conmon is asked to reopen it into the armed file;
 * the rotated files are then trimmed to (max-file - 1) × max-size and gzip'd when asked.
 * A container that stops with a full current file has it rotated by wharfd itself.
 */
export function watchLogRotation(ctx: LogRotationDeps): () => void {
  const rotators = new Map<string, Rotator>();
  const stop = (id: string) => {
    rotators.get(id)?.close();
    rotators.delete(id);
  };
  const start = (id: string) => {
    const c = ctx.views.containers.get(id);
    const p = c && logPolicyOfContainer(c);
    if (!c || p?.kind !== 'rotate') return;
    stop(id);
    const r = new Rotator(ctx, id, p);
    rotators.set(id, r);
    r.start();
  };
  const finish = (id: string) => {
    stop(id);
    const c = ctx.views.containers.get(id);
    const p = c && logPolicyOfContainer(c);
    if (!c || p?.kind !== 'rotate') return;
    void ctx.locks
      .run(id, async () => {
        if (ctx.views.containers.get(id)?.status === 'running') return;
        const files = new LogFiles(logPath(ctx, id));
        // An empty current file leaves its share of max-file × max-size to the rotated ones.
        const emptied = await files.rotateStopped(p.maxSize);
        await files.retain(p.maxSize, emptied ? p.maxFile + 1 : p.maxFile, p.compress, { running: false });
      })
      .catch((e: Error) => ctx.log.warn({ id: id.slice(0, 12), err: e.message }, 'log rotation after exit failed'));
  };
  const sub = ctx.journal.committed$.subscribe((batch) => {
    for (const e of batch) {
      if (e.type === 'container.started') start(e.data.id);
      else if (e.type === 'container.died') finish(e.data.id);
      else if (e.type === 'container.destroyed' || e.type === 'container.remove-requested') stop(e.data.id);
    }
  });
  // At boot: running containers are watched again (their current file, written while wharfd
  // was away, gets its number); those that stopped meanwhile (their death recorded by the boot
  // recovery, before this watched) are rotated and trimmed once.
  for (const c of ctx.views.containers.values()) {
    if (c.status === 'running' || c.status === 'paused') start(c.id);
    else if (logPolicyOfContainer(c).kind === 'rotate') finish(c.id);
  }
  return () => {
    sub.unsubscribe();
    for (const id of [...rotators.keys()]) stop(id);
  };
}

class Rotator {
  private readonly files: LogFiles;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private again = false;
  private closed = false;
  /** The current file we asked conmon to leave, and when (asked again if it has not after a while). */
  private asked?: { ino: number; at: number };
  private retainedFor?: number;

  constructor(
    private readonly ctx: LogRotationDeps,
    private readonly id: string,
    private readonly p: Rotation,
  ) {
    this.files = new LogFiles(logPath(ctx, id));
  }

  start(): void {
    try {
      // Every write conmon makes is an event: the check follows the writer within one check's time.
      this.watcher = watch(path.dirname(this.files.current), () => this.kick());
      this.watcher.on('error', () => undefined);
    } catch {
      // No watch (the directory is gone): the timer alone.
    }
    this.timer = setInterval(() => this.kick(), 1000);
    this.timer.unref();
    this.kick();
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    clearInterval(this.timer);
  }

  private kick(): void {
    if (this.closed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.check()
      .catch((e: Error) => this.ctx.log.warn({ id: this.id.slice(0, 12), err: e.message }, 'log rotation check failed'))
      .finally(() => {
        this.busy = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async check(): Promise<void> {
    const { size, ino, armed } = await this.files.settle();
    if (ino !== undefined && ino !== this.retainedFor) {
      // A new current file: the one before it is final.
      this.retainedFor = ino;
      await this.files.retain(this.p.maxSize, this.p.maxFile, this.p.compress, { running: true });
    }
    if (size < this.p.maxSize || !armed || this.closed) return;
    if (this.asked && this.asked.ino === ino && Date.now() - this.asked.at < 2000) return;
    this.asked = { ino: ino!, at: Date.now() };
    await this.ctx.runtime.reopenLog(this.id).catch((e: Error) => this.ctx.log.debug({ id: this.id.slice(0, 12), err: e.message }, 'cannot ask conmon to reopen the log'));
  }
}
