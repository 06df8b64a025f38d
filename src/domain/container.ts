import { conflict, invalidArgument, notModified } from './errors';
import type { ContainerConfig, ContainerNetworkJoined, HostConfig, MountPoint, NetworkAttachment, WharfEvent } from './events';

/** A container's membership of a network: its name there, aliases and requested address. */
export type EndpointConfig = Omit<ContainerNetworkJoined['data'], 'id'>;
import { evolveHealthProbe, probeCommand, type HealthState } from './health';

/** A container's lifecycle as a closed union: exactly one status at a time. */
export type ContainerStatus = 'created' | 'starting' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing';

export interface ContainerView {
  id: string;
  name: string;
  image: string;
  imageId: string;
  created: string;
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** Resolved mounts (volumes, binds, tmpfs); absent for containers created before volumes. */
  mounts?: MountPoint[];
  status: ContainerStatus;
  pid: number;
  conmonPid: number;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  error: string;
  oomKilled: boolean;
  /** A stop was asked for since the last start: its die is followed by a stop event. */
  stopRequested: boolean;
  restartCount: number;
  /** Stopped or killed by a user since its last start: a restart policy leaves it down. */
  manuallyStopped: boolean;
  /** Killed by a forced removal (rm -f) not yet done: boot finishes it. */
  removeRequested?: { volumes: boolean };
  /** Frozen by a commit reading its changes, not by a user: thawed at boot if a crash left it so. */
  pausedForCommit?: boolean;
  /** Set while a container with a health check runs (and kept after it stops, as Docker does). */
  health?: HealthState;
  /** Its place on each network while it runs (address, ports), by network id. */
  networks: Record<string, NetworkAttachment>;
  /**
   * The networks it is a member of, by network id, in the order joined (the first is the
   * primary: default route, published ports). Undefined for a container of an old journal
   * with no joined facts: its NetworkMode says.
   */
  endpoints?: Record<string, EndpointConfig>;
  /** The delay before the last policy restart (Docker's back-off doubles it). */
  restartDelayMs: number;
  /** seq of the event that created it: "ps" lists newest first by this. */
  createdSeq: bigint;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** evolve: the pure fold of one event into the container it concerns. */
export function evolveContainer(c: ContainerView | undefined, e: WharfEvent, seq: bigint): ContainerView | undefined {
  switch (e.type) {
    case 'container.created':
      return {
        ...e.data,
        status: 'created',
        pid: 0,
        conmonPid: 0,
        exitCode: 0,
        startedAt: ZERO_TIME,
        finishedAt: ZERO_TIME,
        error: '',
        oomKilled: false,
        stopRequested: false,
        restartCount: 0,
        manuallyStopped: false,
        restartDelayMs: 0,
        networks: {},
        createdSeq: seq,
      };
    case 'container.start-requested': {
      if (!c) return c;
      // A removal that did not happen (it failed) is not finished by a later boot.
      const { removeRequested: _, ...rest } = c;
      c = 'removeRequested' in c ? rest : c;
      // A host config given at start (API < 1.24) replaces the one of create.
      if (e.data.hostConfig) c = { ...c, hostConfig: e.data.hostConfig, ...(e.data.mounts ? { mounts: e.data.mounts } : {}) };
      // A user's start clears the policy's count and the manual stop; a policy restart counts.
      return (e.data.restart
        ? { ...c, status: 'starting', error: '', restartCount: c.restartCount + 1 }
        : { ...c, status: 'starting', error: '', restartCount: 0, manuallyStopped: false, restartDelayMs: 0 });
    }
    case 'container.network-connected': {
      const { id: _id, ...attachment } = e.data;
      return c && { ...c, networks: { ...c.networks, [attachment.networkId]: attachment } };
    }
    case 'container.network-disconnected': {
      if (!c) return c;
      const { [e.data.networkId]: _gone, ...rest } = c.networks;
      return { ...c, networks: rest };
    }
    case 'container.network-joined': {
      const { id: _id, ...endpoint } = e.data;
      return c && { ...c, endpoints: { ...(c.endpoints ?? {}), [endpoint.networkId]: endpoint } };
    }
    case 'container.network-left': {
      if (!c) return c;
      const { [e.data.networkId]: _gone, ...rest } = c.endpoints ?? {};
      return { ...c, endpoints: rest };
    }
    case 'container.health-probed':
      return c && (c.health ? { ...c, health: evolveHealthProbe(c.health, e.data) } : c);
    case 'container.health-status':
      return c && (c.health ? { ...c, health: { ...c.health, status: e.data.status } } : c);
    case 'container.restart-scheduled':
      return c && { ...c, status: 'restarting', restartDelayMs: e.data.delayMs };
    case 'container.restart-cancelled':
      return c && c.status === 'restarting' ? { ...c, status: 'exited' } : c;
    case 'container.started':
      return c && {
        ...c,
        status: 'running',
        pid: e.data.pid,
        conmonPid: e.data.conmonPid,
        startedAt: e.data.startedAt,
        exitCode: 0,
        error: '',
        oomKilled: false,
        stopRequested: false,
        health: probeCommand(c.config.Healthcheck) ? { status: 'starting', failingStreak: 0, log: [] } : undefined,
      };
    case 'container.start-failed':
      // Docker leaves a container whose process could not start as "created" with the error.
      return c && { ...c, status: c.startedAt === ZERO_TIME ? 'created' : 'exited', error: e.data.error, exitCode: e.data.exitCode, pid: 0, networks: {} };
    case 'container.stop-requested':
      return c && { ...c, stopRequested: true, manuallyStopped: true };
    case 'container.kill-requested':
      return c && { ...c, manuallyStopped: true, ...(e.data.remove ? { removeRequested: { volumes: !!e.data.removeVolumes } } : {}) };
    case 'container.died':
      return c && {
        ...c,
        status: 'exited',
        pid: 0,
        conmonPid: 0,
        networks: {},
        exitCode: e.data.exitCode,
        finishedAt: e.data.finishedAt,
        oomKilled: c.oomKilled || !!e.data.oomKilled,
        error: e.data.error ?? '',
      };
    case 'container.oom-killed':
      return c && { ...c, oomKilled: true };
    case 'container.paused': {
      if (!c) return c;
      const { pausedForCommit: _, ...rest } = c;
      return { ...rest, status: 'paused', ...(e.data.commit ? { pausedForCommit: true } : {}) };
    }
    case 'container.unpaused': {
      if (!c || c.status !== 'paused') return c;
      const { pausedForCommit: _, ...rest } = c;
      return { ...rest, status: 'running' };
    }
    case 'container.renamed':
      return c && { ...c, name: e.data.name };
    case 'container.updated': {
      const { id: _id, ...changes } = e.data;
      return c && { ...c, hostConfig: { ...c.hostConfig, ...changes } };
    }
    case 'container.link-removed': {
      if (!c) return c;
      const links = ((c.hostConfig.Links as string[] | null | undefined) ?? []).filter((l) => l !== e.data.link);
      return { ...c, hostConfig: { ...c.hostConfig, Links: links.length ? links : null } };
    }
    case 'container.stopped':
      return c && { ...c, stopRequested: false };
    case 'container.remove-requested':
      return c && { ...c, status: 'removing' };
    case 'container.destroyed':
      return undefined;
    default:
      return c;
  }
}

/** Running or paused: the process exists. */
export const isRunning = (c: ContainerView): boolean => c.status === 'running' || c.status === 'paused';

/**
 * Docker's "restarting": waiting out the back-off, and also while the policy's start is under
 * way (a user's start resets the count, so a start with a count is the policy's).
 */
export const isRestarting = (c: ContainerView): boolean => c.status === 'restarting' || (c.status === 'starting' && c.restartCount > 0);

// decide: pure checks that turn a command on the current view into events, or refuse it.

export function decideStart(c: ContainerView, restart = false, given?: { hostConfig: HostConfig; mounts?: MountPoint[] }): WharfEvent[] {
  if (c.status === 'running' || c.status === 'starting') throw notModified('Container already started');
  if (c.status === 'paused') throw conflict('cannot start a paused container, try unpause instead');
  if (c.status === 'removing') throw conflict(`container is marked for removal and cannot be started`);
  return [{ type: 'container.start-requested', data: { id: c.id, ...(restart ? { restart: true } : {}), ...(given ?? {}) } }];
}

export function decidePause(c: ContainerView, forCommit = false): WharfEvent[] {
  if (c.status === 'paused') throw conflict(`Container ${c.id} is already paused`);
  if (c.status !== 'running') throw conflict(`Container ${c.id} is not running`);
  return [{ type: 'container.paused', data: { id: c.id, ...(forCommit ? { commit: true } : {}) } }];
}

export function decideUnpause(c: ContainerView): WharfEvent[] {
  if (c.status !== 'paused') throw conflict(`Container ${c.id} is not paused`);
  return [{ type: 'container.unpaused', data: { id: c.id } }];
}

export function decideRename(c: ContainerView, name: string, takenBy: string | undefined): WharfEvent[] {
  const newName = name.replace(/^\//, '');
  if (newName === c.name) throw conflict(`Renaming a container with the same name as its current name`);
  if (takenBy) {
    throw conflict(`Error when allocating new name: Conflict. The container name "/${newName}" is already in use by container "${takenBy}". You have to remove (or rename) that container to be able to reuse that name.`);
  }
  return [{ type: 'container.renamed', data: { id: c.id, oldName: c.name, name: newName } }];
}

export function decideKill(c: ContainerView, ref: string, signal: string): WharfEvent[] {
  if (c.status === 'restarting') throw conflict(`Cannot kill container: ${ref}: Container ${c.id} is restarting, wait until the container is running`);
  if (!isRunning(c)) throw conflict(`Cannot kill container: ${ref}: container ${c.id} is not running`);
  return [{ type: 'container.kill-requested', data: { id: c.id, signal } }];
}

export function decideStop(c: ContainerView, timeout: number): WharfEvent[] {
  if (!isRunning(c)) throw notModified('Container already stopped');
  return [{ type: 'container.stop-requested', data: { id: c.id, timeout } }];
}

export function decideRemove(c: ContainerView, force: boolean): WharfEvent[] {
  if (c.status === 'removing') throw conflict(`removal of container ${c.id.slice(0, 12)} is already in progress`);
  if (c.status === 'paused' && !force) throw conflict(`cannot remove container "/${c.name}": container is paused and must be unpaused first`);
  if (c.status === 'restarting' && !force) {
    throw conflict(`cannot remove container "/${c.name}": container is restarting: stop the container before removing or force remove`);
  }
  if ((c.status === 'running' || c.status === 'starting') && !force) {
    throw conflict(
      `cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`,
    );
  }
  return [{ type: 'container.remove-requested', data: { id: c.id } }];
}

// Restart policies (docker run --restart).

export const RESTART_POLICIES = ['no', 'always', 'on-failure', 'unless-stopped'];

/** Docker's checks of a restart policy at create and update. */
export function checkRestartPolicy(p: { Name?: string; MaximumRetryCount?: number } | undefined, autoRemove: boolean): void {
  const name = p?.Name || 'no';
  const max = p?.MaximumRetryCount ?? 0;
  if (!RESTART_POLICIES.includes(name)) {
    throw invalidArgument(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (max < 0) throw invalidArgument(`invalid restart policy: maximum retry count cannot be negative`);
  if (max > 0 && name !== 'on-failure') throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  if (autoRemove && name !== 'no') throw invalidArgument(`can't create 'AutoRemove' container with restart policy`);
}

/** Whether the policy brings the container back after it exited with this code. */
export function shouldRestart(c: ContainerView, exitCode: number): boolean {
  const { Name: name, MaximumRetryCount: max } = c.hostConfig.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 };
  if (c.manuallyStopped || c.hostConfig.AutoRemove) return false;
  switch (name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (!max || c.restartCount < max);
    default:
      return false;
  }
}

/**
 * Whether the daemon starts the container at boot: "always" even after a manual stop,
 * the others as after an exit. Never a container that was never started.
 */
export function shouldStartAtBoot(c: ContainerView): boolean {
  if (c.status === 'restarting') return true;
  if (c.status !== 'exited' || c.startedAt === ZERO_TIME) return false;
  if (c.hostConfig.RestartPolicy?.Name === 'always') return true;
  return shouldRestart(c, c.exitCode);
}

/** Docker's back-off: 100 ms, doubling while the container keeps failing fast, reset after 10 s up; at most a minute. */
export function restartDelay(c: ContainerView): number {
  const ranMs = Date.parse(c.finishedAt) - Date.parse(c.startedAt);
  if (!c.restartDelayMs || ranMs >= 10_000) return 100;
  return Math.min(c.restartDelayMs * 2, 60_000);
}

export function decideRestartPolicy(c: ContainerView, exitCode: number): WharfEvent[] {
  return shouldRestart(c, exitCode) ? [{ type: 'container.restart-scheduled', data: { id: c.id, delayMs: restartDelay(c) } }] : [];
}
