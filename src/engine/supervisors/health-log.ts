import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ContainerView } from '../../domain/container';
import { KEPT_PROBES, type ProbeLog } from '../../domain/health';
import type { ProbeResult } from '../../domain/events';

/** What a container's health.json holds: the probes of one run (the run is named by its start). */
interface ProbeFile extends ProbeLog {
  startedAt: string;
}

/**
 * The last probes of each container's health check (State.Health.Log and FailingStreak).
 * Probes are not journal records (only changes of status are): they live here, in memory,
 * and in `<containers>/<id>/health.json` (written whole to a temporary file then renamed), so
 * inspect shows them across a daemon restart. A missing or damaged file is an empty log,
 * never a failed boot; a file left by an earlier run of the container is ignored.
 */
export class HealthLogs {
  private readonly runs = new Map<string, ProbeFile>();

  constructor(private readonly containersDir: string) {}

  fileOf(id: string): string {
    return path.join(this.containersDir, id, 'health.json');
  }

  /** Boot: the probes of every container with a check, for the run the views know. */
  async load(containers: Iterable<ContainerView>): Promise<void> {
    const reads: Promise<void>[] = [];
    for (const c of containers) {
      if (!c.health) continue;
      reads.push(
        readProbeFile(this.fileOf(c.id)).then((got) => {
          if (got && got.startedAt === c.startedAt) this.runs.set(c.id, got);
        }),
      );
    }
    await Promise.all(reads);
  }

  /**
   * The probes of the container's current run; for a run probed by an earlier version of
   * wharfd (each probe a `container.health-probed` record), what the journal folded.
   */
  of(c: ContainerView): ProbeLog | undefined {
    if (!c.health) return undefined;
    const r = this.runs.get(c.id);
    if (r && r.startedAt === c.startedAt) return { failingStreak: r.failingStreak, log: r.log };
    return { failingStreak: c.health.failingStreak, log: c.health.log };
  }

  /** A probe of the run started at `startedAt` left these: kept, and written (best effort: a probe never fails on its file). */
  async record(id: string, startedAt: string, probes: ProbeLog): Promise<void> {
    const run = { startedAt, failingStreak: probes.failingStreak, log: probes.log.slice(-KEPT_PROBES) };
    this.runs.set(id, run);
    const file = this.fileOf(id);
    const tmp = `${file}.tmp`;
    try {
      // The container's directory is made at its start and goes with its removal: never made here.
      await fsp.writeFile(tmp, JSON.stringify(run));
      await fsp.rename(tmp, file);
    } catch {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  forget(id: string): void {
    this.runs.delete(id);
  }
}

/** A health.json as written by record(), or undefined (missing, unreadable, not that shape). */
export async function readProbeFile(file: string): Promise<ProbeFile | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  const r = raw as Partial<ProbeFile> | null;
  if (!r || typeof r !== 'object' || typeof r.startedAt !== 'string' || !Number.isInteger(r.failingStreak) || !Array.isArray(r.log)) return undefined;
  const isProbe = (p: unknown): p is ProbeResult => {
    const q = p as ProbeResult | null;
    return !!q && typeof q === 'object' && typeof q.Start === 'string' && typeof q.End === 'string' && Number.isInteger(q.ExitCode) && typeof q.Output === 'string';
  };
  if (!r.log.every(isProbe)) return undefined;
  return {
    startedAt: r.startedAt,
    failingStreak: r.failingStreak!,
    log: r.log.slice(-KEPT_PROBES).map((p) => ({ Start: p.Start, End: p.End, ExitCode: p.ExitCode, Output: p.Output })),
  };
}
