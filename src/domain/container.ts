import { conflict, notModified } from './errors';
import type { ContainerConfig, HostConfig, MountPoint, WharfEvent } from './events';

/** A container's lifecycle as a closed union: exactly one status at a time. */
export type ContainerStatus = 'created' | 'starting' | 'running' | 'paused' | 'exited' | 'removing';

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
        createdSeq: seq,
      };
    case 'container.start-requested':
      return c && { ...c, status: 'starting', error: '' };
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
      };
    case 'container.start-failed':
      // Docker leaves a container whose process could not start as "created" with the error.
      return c && { ...c, status: c.startedAt === ZERO_TIME ? 'created' : 'exited', error: e.data.error, exitCode: e.data.exitCode, pid: 0 };
    case 'container.stop-requested':
      return c && { ...c, stopRequested: true };
    case 'container.died':
      return c && {
        ...c,
        status: 'exited',
        pid: 0,
        conmonPid: 0,
        exitCode: e.data.exitCode,
        finishedAt: e.data.finishedAt,
        oomKilled: c.oomKilled || !!e.data.oomKilled,
        error: e.data.error ?? '',
      };
    case 'container.oom-killed':
      return c && { ...c, oomKilled: true };
    case 'container.paused':
      return c && { ...c, status: 'paused' };
    case 'container.unpaused':
      return c && c.status === 'paused' ? { ...c, status: 'running' } : c;
    case 'container.renamed':
      return c && { ...c, name: e.data.name };
    case 'container.updated': {
      const { id: _id, ...changes } = e.data;
      return c && { ...c, hostConfig: { ...c.hostConfig, ...changes } };
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

// decide: pure checks that turn a command on the current view into events, or refuse it.

export function decideStart(c: ContainerView): WharfEvent[] {
  if (c.status === 'running' || c.status === 'starting') throw notModified('Container already started');
  if (c.status === 'paused') throw conflict('cannot start a paused container, try unpause instead');
  if (c.status === 'removing') throw conflict(`container is marked for removal and cannot be started`);
  return [{ type: 'container.start-requested', data: { id: c.id } }];
}

export function decidePause(c: ContainerView): WharfEvent[] {
  if (c.status === 'paused') throw conflict(`Container ${c.id} is already paused`);
  if (c.status !== 'running') throw conflict(`Container ${c.id} is not running`);
  return [{ type: 'container.paused', data: { id: c.id } }];
}

export function decideUnpause(c: ContainerView): WharfEvent[] {
  if (c.status !== 'paused') throw conflict(`Container ${c.id} is not paused`);
  return [{ type: 'container.unpaused', data: { id: c.id } }];
}

export function decideRename(c: ContainerView, name: string, takenBy: string | undefined): WharfEvent[] {
  const newName = name.replace(/^\//, '');
  if (newName === c.name) throw conflict(`Renaming a container with the same name as its current name`);
  if (takenBy) {
    throw conflict(`Conflict. The container name "/${newName}" is already in use by container "${takenBy}". You have to remove (or rename) that container to be able to reuse that name.`);
  }
  return [{ type: 'container.renamed', data: { id: c.id, oldName: c.name, name: newName } }];
}

export function decideKill(c: ContainerView, ref: string, signal: string): WharfEvent[] {
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
  if ((c.status === 'running' || c.status === 'starting') && !force) {
    throw conflict(
      `cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`,
    );
  }
  return [{ type: 'container.remove-requested', data: { id: c.id } }];
}
