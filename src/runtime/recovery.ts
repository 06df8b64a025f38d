/**
 * Restart recovery as a small pure function: what the journal says × what the system shows
 * → what to do. Tested alone; the engine carries the actions out.
 */
export type RecoveryFacts = {
  id: string;
  status: 'created' | 'starting' | 'running' | 'paused' | 'exited' | 'removing';
  exitFile?: { exitCode: number; finishedAt: string };
  conmonAlive: boolean;
  runcStatus?: string;
};

export type RecoveryAction =
  /** Still alive: adopt it; `record` is a pause or unpause runc did that the journal missed. */
  | { kind: 'reattach'; id: string; record?: 'paused' | 'unpaused' }
  | { kind: 'record-exit'; id: string; exitCode: number; finishedAt: string; unknown: boolean }
  | { kind: 'fail-start'; id: string }
  | { kind: 'finish-remove'; id: string }
  | { kind: 'none'; id: string };

export function planRecovery(f: RecoveryFacts, now: string): RecoveryAction {
  switch (f.status) {
    case 'running':
    case 'paused':
    case 'starting':
      if (f.exitFile) return { kind: 'record-exit', id: f.id, ...f.exitFile, unknown: false };
      // Still running (even if its monitor died: the poller records its end later).
      if (f.runcStatus === 'running' || f.runcStatus === 'paused') {
        // A crash between `runc pause`/`resume` and its event: runc's word is the truth.
        if (f.status === 'running' && f.runcStatus === 'paused') return { kind: 'reattach', id: f.id, record: 'paused' };
        if (f.status === 'paused' && f.runcStatus === 'running') return { kind: 'reattach', id: f.id, record: 'unpaused' };
        return { kind: 'reattach', id: f.id };
      }
      // Cut before the process ran: conmon may have died (it cannot report to a dead daemon) or
      // live on with runc's container created, but the start's network and `runc start` may not
      // have happened: the start failed (its client never had an answer).
      if (f.status === 'starting' && (f.runcStatus === undefined || f.runcStatus === 'created')) return { kind: 'fail-start', id: f.id };
      if (f.conmonAlive && f.runcStatus === 'created') return { kind: 'reattach', id: f.id };
      return { kind: 'record-exit', id: f.id, exitCode: 255, finishedAt: now, unknown: true };
    case 'removing':
      return { kind: 'finish-remove', id: f.id };
    default:
      return { kind: 'none', id: f.id };
  }
}

/** A cgroup limit as the journal records it and as the kernel has it; undefined = unlimited. */
export interface LimitFacts {
  memory: { recorded?: number; actual?: number };
  pids: { recorded?: number; actual?: number };
}

/**
 * Whether a running container's cgroup limits drifted from what the journal records (a crash
 * between `runc update` and container.updated): then the recorded limits are applied again.
 */
export function limitsDrifted(f: LimitFacts): boolean {
  return (f.memory.recorded || undefined) !== (f.memory.actual || undefined) || (f.pids.recorded || undefined) !== (f.pids.actual || undefined);
}

/** memory.limit_in_bytes / pids.max as read from cgroup v1: a huge value or "max" is no limit. */
export function parseCgroupLimit(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 2 ** 62 ? undefined : n;
}
