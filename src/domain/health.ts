import type { HealthConfig, HealthStatus, ProbeResult, WharfEvent } from './events';

/** A container's health: its status, the failing streak and the last probes. */
export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  /** The last probes, oldest first. */
  log: ProbeResult[];
}

const SECOND = 1_000_000_000;
export const HEALTH_DEFAULTS = { interval: 30 * SECOND, timeout: 30 * SECOND, startPeriod: 0, startInterval: 5 * SECOND, retries: 3 };
/** Docker keeps the last five probes and 4 KiB of each one's output. */
export const KEPT_PROBES = 5;
export const MAX_PROBE_OUTPUT = 4096;

/**
 * The command a probe runs, or undefined when there is no check ("NONE" or nothing).
 * CMD-SHELL runs under the container's Config.Shell when it has one, as Docker's does.
 */
export function probeCommand(h: HealthConfig | null | undefined, shell?: string[] | null): string[] | undefined {
  const t = h?.Test;
  if (!t || t.length === 0) return undefined;
  switch (t[0]) {
    case 'NONE':
      return undefined;
    case 'CMD':
      return t.length > 1 ? t.slice(1) : undefined;
    case 'CMD-SHELL':
      return t.length > 1 ? [...(shell?.length ? shell : ['/bin/sh', '-c']), t.slice(1).join(' ')] : undefined;
    default:
      return t; // the API's older form: the command itself
  }
}

export interface HealthTiming {
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

export function healthTiming(h: HealthConfig): HealthTiming {
  const ms = (ns: number | undefined, dflt: number) => (ns && ns > 0 ? ns : dflt) / 1_000_000;
  return {
    intervalMs: ms(h.Interval, HEALTH_DEFAULTS.interval),
    timeoutMs: ms(h.Timeout, HEALTH_DEFAULTS.timeout),
    startPeriodMs: ms(h.StartPeriod, HEALTH_DEFAULTS.startPeriod),
    startIntervalMs: ms(h.StartInterval, HEALTH_DEFAULTS.startInterval),
    retries: h.Retries && h.Retries > 0 ? h.Retries : HEALTH_DEFAULTS.retries,
  };
}

/** The user's check over the image's, field by field, as Docker merges them. */
export function mergeHealthcheck(user: HealthConfig | null | undefined, image: HealthConfig | null | undefined): HealthConfig | undefined {
  if (!user) return image ?? undefined;
  if (!image) return user;
  return {
    Test: user.Test && user.Test.length ? user.Test : image.Test,
    Interval: user.Interval || image.Interval,
    Timeout: user.Timeout || image.Timeout,
    StartPeriod: user.StartPeriod || image.StartPeriod,
    StartInterval: user.StartInterval || image.StartInterval,
    Retries: user.Retries || image.Retries,
  };
}

export function checkHealthcheck(h: HealthConfig | null | undefined): string | undefined {
  if (!h) return undefined;
  const min = 1_000_000; // Docker: at least 1 ms
  for (const [k, v] of [['Interval', h.Interval], ['Timeout', h.Timeout], ['StartPeriod', h.StartPeriod], ['StartInterval', h.StartInterval]] as const) {
    // null is unset, as 0 is (Go decodes null as the zero value).
    if (v !== undefined && v !== null && v !== 0 && v < min) return `${k} in Healthcheck cannot be less than 1ms`;
  }
  if (h.Retries !== undefined && h.Retries !== null && h.Retries < 0) return 'Retries in Healthcheck cannot be negative';
  return undefined;
}

/** The probes of a run: the failing streak they leave and the last five, oldest first. */
export interface ProbeLog {
  failingStreak: number;
  log: ProbeResult[];
}

/**
 * One probe's result → what it leaves: the failing streak, the last five probes, and the
 * event to record when the status changes (the only durable part: a probe that changes
 * nothing is not a journal record). Failures during the start period do not count against
 * a container still starting.
 */
export function decideProbe(
  id: string,
  status: HealthStatus,
  before: ProbeLog,
  result: ProbeResult,
  timing: HealthTiming,
  startedAt: string,
): { probes: ProbeLog; events: WharfEvent[] } {
  let streak = 0;
  let next: HealthStatus = status;
  if (result.ExitCode === 0) next = 'healthy';
  else {
    const inStartPeriod = Date.parse(result.Start) - Date.parse(startedAt) < timing.startPeriodMs;
    streak = status === 'starting' && inStartPeriod ? before.failingStreak : before.failingStreak + 1;
    if (streak >= timing.retries) next = 'unhealthy';
  }
  const probes = { failingStreak: streak, log: [...before.log, result].slice(-KEPT_PROBES) };
  return { probes, events: next !== status ? [{ type: 'container.health-status', data: { id, status: next } }] : [] };
}

/** `container.health-probed`, written by earlier versions only: still folded so old journals replay alike. */
export function evolveHealthProbe(h: HealthState, e: ProbeResult & { failingStreak: number }): HealthState {
  const { failingStreak, ...probe } = e;
  return { ...h, failingStreak, log: [...h.log, probe].slice(-KEPT_PROBES) };
}
