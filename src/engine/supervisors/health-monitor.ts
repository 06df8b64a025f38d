import { promises as fsp } from 'node:fs';
import { decideProbe, healthTiming, MAX_PROBE_OUTPUT, probeCommand } from '../../domain/health';
import type { ProbeResult } from '../../domain/events';
import { newId } from '../../domain/ids';
import { nowRfc3339 } from '../../domain/time';
import { appendFor } from '../lookup';
import { execProcess } from '../containers/exec-container';
import { readLogs } from '../containers/read-logs';

import type { EngineDeps } from '../ports';

/** What health-monitor uses of the engine. */
export type HealthMonitorDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'containersDir' | 'hostLimits' | 'log' | 'locks' | 'healthLogs' | 'live'>;
/**
 * Health checks (docker run --health-cmd): while a container with a check runs, probe it
 * every interval (start interval during the start period) by running the command in it.
 * A change of status is a journal event (`container.health-status`); the probes themselves
 * are not: the last five live in ctx.healthLogs (memory and health.json).
 */
export function watchHealth(ctx: HealthMonitorDeps): () => void {
  const timers = new Map<string, NodeJS.Timeout>();
  const stop = (id: string) => {
    clearTimeout(timers.get(id));
    timers.delete(id);
  };
  const schedule = (id: string, startedAt: string) => {
    const c = ctx.views.containers.get(id);
    if (!c || c.status !== 'running' || c.startedAt !== startedAt || !c.health || !probeCommand(c.config.Healthcheck)) return stop(id);
    const t = healthTiming(c.config.Healthcheck!);
    const inStartPeriod = Date.now() - Date.parse(startedAt) < t.startPeriodMs;
    const wait = inStartPeriod && c.health.status === 'starting' ? Math.min(t.startIntervalMs, t.intervalMs) : t.intervalMs;
    const timer = setTimeout(() => {
      probe(ctx, id, startedAt)
        .catch((err: Error) => ctx.log.warn({ id: id.slice(0, 12), err: err.message }, 'health probe failed'))
        .finally(() => timers.get(id) === timer && schedule(id, startedAt));
    }, wait);
    timer.unref();
    timers.set(id, timer);
  };
  const sub = ctx.journal.committed$.subscribe((batch) => {
    for (const e of batch) {
      if (e.type === 'container.started') schedule(e.data.id, e.data.startedAt);
      else if (e.type === 'container.died' || e.type === 'container.destroyed' || e.type === 'container.remove-requested') stop(e.data.id);
      if (e.type === 'container.destroyed') ctx.healthLogs.forget(e.data.id);
    }
  });
  for (const c of ctx.views.containers.values()) if (c.status === 'running' || c.status === 'paused') schedule(c.id, c.startedAt);
  return () => {
    sub.unsubscribe();
    for (const id of [...timers.keys()]) stop(id);
  };
}

/** Run the check once in the container and keep the result (unless the run it probed ended); record a change of status. */
async function probe(ctx: HealthMonitorDeps, id: string, startedAt: string): Promise<void> {
  const c = ctx.views.containers.get(id);
  const cmd = probeCommand(c?.config.Healthcheck, c?.config.Shell);
  if (!c || !cmd || c.status !== 'running') return; // a paused container is not probed
  const t = healthTiming(c.config.Healthcheck!);
  const execId = newId();
  const start = nowRfc3339();
  let result: ProbeResult;
  // Docker's events of a probe's exec: live only (one a probe, they would grow the journal with uptime).
  const cmdline = cmd.join(' ');
  ctx.live.container(c, `exec_create: ${cmdline}`, { execID: execId });
  let exitCode: number | undefined;
  try {
    const spec = await execProcess(ctx, id, { Cmd: cmd, Env: [], User: '', WorkingDir: '', Tty: false, AttachStdin: false, AttachStdout: true, AttachStderr: true, Privileged: false, DetachKeys: '' });
    const started = await ctx.runtime.exec({ id, execId, process: spec, tty: false, stdin: false });
    ctx.live.container(c, `exec_start: ${cmdline}`, { execID: execId });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), t.timeoutMs)));
    const code = await Promise.race([started.exited, timedOut]);
    clearTimeout(timer);
    if (code === 'timeout') {
      killQuietly(started.pid);
      result = { Start: start, End: nowRfc3339(), ExitCode: -1, Output: `Health check exceeded timeout (${humanMs(t.timeoutMs)})` };
    } else {
      let out = '';
      for await (const e of readLogs(ctx, id, { file: started.logPath, follow: false, live: () => false /* the probe has exited: its last line is final */ })) {
        if (out.length < MAX_PROBE_OUTPUT) out += e.data.toString();
      }
      result = { Start: start, End: nowRfc3339(), ExitCode: code, Output: out.slice(0, MAX_PROBE_OUTPUT) };
      exitCode = code;
    }
  } catch (e) {
    const message = (e as Error).message;
    result = { Start: start, End: nowRfc3339(), ExitCode: /not found|no such file/.test(message) ? 127 : 126, Output: message };
  } finally {
    await fsp.rm(ctx.runtime.execDir(id, execId), { recursive: true, force: true }).catch(() => undefined);
  }
  if (exitCode !== undefined) ctx.live.container(c, 'exec_die', { execID: execId, exitCode: String(exitCode) });
  const now = ctx.views.containers.get(id);
  if (!now || now.status !== 'running' || now.startedAt !== startedAt || !now.health) return;
  const { probes, events } = decideProbe(id, now.health.status, ctx.healthLogs.of(now)!, result, t, startedAt);
  // Kept before the status is recorded: inspect after a health_status event shows the probe that made it.
  await ctx.healthLogs.record(id, startedAt, probes);
  if (events.length) await appendFor(ctx, now, events);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function humanMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
