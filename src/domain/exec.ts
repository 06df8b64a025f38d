import { conflict, invalidArgument } from './errors';
import type { ExecConfig, WharfEvent } from './events';
import type { ContainerView } from './container';

/** What `docker exec` asked for (the API's ExecConfig). */

/** An exec session: created, then running, then exited with a code. */
export interface ExecView {
  id: string;
  containerId: string;
  config: ExecConfig;
  status: 'created' | 'running' | 'exited';
  pid: number;
  exitCode: number | null;
}

/** Finished sessions kept per container for `exec inspect`; older ones are forgotten. */
export const KEPT_EXITED_EXECS = 64;

export function evolveExec(x: ExecView | undefined, e: WharfEvent): ExecView | undefined {
  switch (e.type) {
    case 'exec.created':
      return { id: e.data.id, containerId: e.data.container, config: e.data.config, status: 'created', pid: 0, exitCode: null };
    case 'exec.started':
      return x && { ...x, status: 'running', pid: e.data.pid };
    case 'exec.died':
      return x && { ...x, status: 'exited', exitCode: e.data.exitCode };
    default:
      return x;
  }
}

/** An exec needs a running, unpaused container. */
export function checkExecTarget(c: ContainerView): void {
  if (c.status === 'paused') throw conflict(`Container ${c.id} is paused, unpause the container before exec`);
  if (c.status !== 'running') throw conflict(`container ${c.id} is not running`);
}

export function decideExecCreate(c: ContainerView, execId: string, config: ExecConfig): WharfEvent[] {
  if (config.Cmd.length === 0) throw invalidArgument('No exec command specified');
  checkExecTarget(c);
  return [{ type: 'exec.created', data: { id: execId, container: c.id, config } }];
}

export function decideExecStart(x: ExecView, c: ContainerView): void {
  if (x.status === 'running') throw conflict(`Error: Exec command ${x.id} is already running`);
  if (x.status === 'exited') throw conflict(`Error: Exec command ${x.id} has already run`);
  checkExecTarget(c);
}
