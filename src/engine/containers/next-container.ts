import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newId } from '../../domain/ids';
import { logConfigOf, logPolicyOf } from '../../domain/log-driver';
import { conmonLogCap, logPath } from './log-rotation';

import type { EngineDeps } from '../ports';

/** What next-container uses of the engine. */
export type NextContainerDeps = Pick<EngineDeps, 'runtime' | 'containersDir' | 'logDefaults' | 'log'>;

/** In the directory of an id chosen ahead, until a create has recorded it (see sweepOrphans). */
export const UNCLAIMED = 'unclaimed';

/**
 * The id the next create gets, chosen ahead, with that container's conmon already spawned for
 * the options most containers have (no terminal, no stdin, the daemon's log config) and its
 * runc started up, waiting for a spec (runtime.prewarm; nothing is made before the spec). A
 * create takes it; the start that follows finds runc ready, where a conmon spawned at the create
 * would still be starting up (about 20 ms of exec and start-up here; `docker run` starts some ms
 * after its create). The next one is chosen a moment after a take, off the start's path; one
 * unused for `idleMs` goes and is chosen again only after the next create. A create that asks for
 * other options ends the waiting conmon, and its start spawns its own.
 *
 * The container's directory exists ahead (conmon opens the log in it), marked UNCLAIMED until the
 * create is recorded: a daemon killed before then leaves a directory that the boot removes (it
 * never held a container's files), and a conmon whose runc fails at the end of its pipe.
 */
export class NextContainer {
  private next?: string;
  private refill?: NodeJS.Timeout;
  private idle?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly ctx: NextContainerDeps,
    private readonly idleMs = 60_000,
    private readonly refillMs = 100,
  ) {}

  /** The id for a create: the one chosen ahead, else a new one. */
  take(): string {
    const id = this.next ?? newId();
    this.next = undefined;
    clearTimeout(this.idle);
    clearTimeout(this.refill);
    if (!this.stopped) {
      this.refill = setTimeout(() => this.choose(), this.refillMs);
      this.refill.unref();
    }
    return id;
  }

  /** The create is recorded: the directory is the container's. */
  claimed(id: string): void {
    rmSync(path.join(this.ctx.containersDir, id, UNCLAIMED), { force: true });
  }

  /** The id chosen ahead, if one waits for a create. */
  ahead(): string | undefined {
    return this.next;
  }

  /**
   * The create failed. An id chosen ahead waits again if the create was refused before it tried
   * to record it (reusable); otherwise it goes, files and conmon (a failed write may still have
   * left its record: the id is never given twice).
   */
  unused(id: string, reusable: boolean): void {
    if (!existsSync(path.join(this.ctx.containersDir, id, UNCLAIMED))) return;
    if (reusable && this.next === undefined && !this.stopped) {
      this.next = id;
      this.expireLater();
    } else {
      this.discard(id);
    }
  }

  /** The daemon stops: the one waiting goes. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.refill);
    clearTimeout(this.idle);
    if (this.next) this.discard(this.next);
    this.next = undefined;
  }

  private choose(): void {
    if (this.next || this.stopped) return;
    const id = newId();
    try {
      const policy = logPolicyOf(logConfigOf(this.ctx.logDefaults));
      if (policy.kind === 'rotate') return; // its files are prepared at start
      const dir = path.join(this.ctx.containersDir, id);
      mkdirSync(dir);
      writeFileSync(path.join(dir, UNCLAIMED), '');
      this.ctx.runtime.prewarm(
        { id, logPath: logPath(this.ctx, id), logSizeMax: conmonLogCap(policy), tty: false, stdin: false, leaveStdinOpen: true },
        Infinity,
      );
    } catch (e) {
      this.ctx.log.debug({ err: (e as Error).message }, 'no conmon spawned ahead of the next create');
      this.discard(id);
      return;
    }
    this.next = id;
    this.expireLater();
  }

  private expireLater(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (!this.next) return;
      this.discard(this.next);
      this.next = undefined;
    }, this.idleMs);
    this.idle.unref();
  }

  private discard(id: string): void {
    void this.ctx.runtime.cleanup(id).catch(() => undefined);
    rmSync(path.join(this.ctx.containersDir, id), { recursive: true, force: true });
  }
}
