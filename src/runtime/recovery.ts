/**
 * Restart recovery as a small pure function: what the journal says × what the system shows
 * → what to do. Tested alone; the engine carries the actions out.
 */
export type RecoveryFacts = {
  id: string;
  status: 'created' | 'starting' | 'running' | 'exited' | 'removing';
  exitFile?: { exitCode: number; finishedAt: string };
  conmonAlive: boolean;
  runcStatus?: string;
};

export type RecoveryAction =
  | { kind: 'reattach'; id: string }
  | { kind: 'record-exit'; id: string; exitCode: number; finishedAt: string; unknown: boolean }
  | { kind: 'fail-start'; id: string }
  | { kind: 'finish-remove'; id: string }
  | { kind: 'none'; id: string };

export function planRecovery(f: RecoveryFacts, now: string): RecoveryAction {
  switch (f.status) {
    case 'running':
    case 'starting':
      if (f.exitFile) return { kind: 'record-exit', id: f.id, ...f.exitFile, unknown: false };
      // Still running (even if its monitor died: the poller records its end later).
      if (f.runcStatus === 'running' || f.runcStatus === 'paused') return { kind: 'reattach', id: f.id };
      if (f.status === 'starting' && !f.conmonAlive && f.runcStatus === undefined) return { kind: 'fail-start', id: f.id };
      if (f.conmonAlive && f.runcStatus === 'created') return { kind: 'reattach', id: f.id };
      return { kind: 'record-exit', id: f.id, exitCode: 255, finishedAt: now, unknown: true };
    case 'removing':
      return { kind: 'finish-remove', id: f.id };
    default:
      return { kind: 'none', id: f.id };
  }
}
