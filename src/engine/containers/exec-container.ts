import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { decideExecCreate, decideExecStart, type ExecView } from '../../domain/exec';
import type { ExecConfig } from '../../domain/events';
import { conflict, invalidArgument, notFound, WharfError } from '../../domain/errors';
import type { WharfEvent } from '../../domain/events';
import { newId } from '../../domain/ids';
import { isAlive, StartError } from '../../runtime/runc-conmon';
import { resolveUser } from '../../runtime/user';
import { appendFor, getContainer } from '../lookup';
import { mergeEnv } from './create-container';
import { crashPoint } from '../lib/crash-point';

import type { EngineDeps } from '../ports';

/** What exec-container uses of the engine. */
export type ExecContainerDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'hostLimits' | 'log' | 'locks'>;
/** The body of POST /containers/{id}/exec, as clients send it. */
export interface ExecCreateBody {
  Cmd?: string[] | string | null;
  Env?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Privileged?: boolean;
  DetachKeys?: string;
}

export const noSuchExec = (id: string) => notFound(`No such exec instance: ${id}`);

export function getExec(ctx: ExecContainerDeps, id: string): ExecView {
  const x = ctx.views.execs.get(id);
  if (!x) throw noSuchExec(id);
  return x;
}

export async function createExec(ctx: ExecContainerDeps, ref: string, body: ExecCreateBody): Promise<string> {
  const c = getContainer(ctx.views, ref);
  const config: ExecConfig = {
    Cmd: typeof body.Cmd === 'string' ? [body.Cmd] : body.Cmd ?? [],
    Env: body.Env ?? [],
    User: body.User ?? '',
    WorkingDir: body.WorkingDir ?? '',
    Tty: !!body.Tty,
    AttachStdin: !!body.AttachStdin,
    AttachStdout: !!body.AttachStdout,
    AttachStderr: !!body.AttachStderr,
    Privileged: !!body.Privileged,
    DetachKeys: body.DetachKeys ?? '',
  };
  if (config.WorkingDir && !config.WorkingDir.startsWith('/')) throw invalidArgument(`the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  const id = newId();
  await appendFor(ctx, c, decideExecCreate(c, id, config), { execCmd: config.Cmd.join(' ') });
  crashPoint('exec.after-create');
  return id;
}

export interface ExecSession {
  exec: ExecView;
  logPath: string;
  /** Settles with the exit code once exec.died is in the journal. */
  done: Promise<number>;
}

/** Start a created exec session under its own conmon; exec.started, then exec.died when it ends. */
export function startExec(ctx: ExecContainerDeps, execId: string, consoleSize?: [number, number]): Promise<ExecSession> {
  return ctx.locks.run(`exec:${execId}`, async () => {
    const x = getExec(ctx, execId);
    const c = getContainer(ctx.views, x.containerId);
    decideExecStart(x, c);
    const meta = { container: c.id };
    const append = (events: WharfEvent[]) => appendFor(ctx, c, events, { execCmd: x.config.Cmd.join(' ') });
    let started;
    try {
      const process = await execProcess(ctx, c.id, x.config, consoleSize);
      started = await ctx.runtime.exec({ id: c.id, execId, process, tty: x.config.Tty, stdin: x.config.AttachStdin });
      crashPoint('exec.after-conmon');
    } catch (e) {
      const message = execErrorMessage(e);
      const exitCode = /executable file not found|no such file or directory/.test(message) ? 127 : 126;
      await append([{ type: 'exec.died', data: { id: execId, ...meta, exitCode, error: message } }]);
      throw new WharfError(e instanceof StartError || e instanceof UserNotFound ? 'conflict' : 'internal', message);
    }
    await append([{ type: 'exec.started', data: { id: execId, ...meta, pid: started.pid } }]);
    const done = started.exited.then(async (exitCode) => {
      await append([{ type: 'exec.died', data: { id: execId, ...meta, exitCode } }]);
      return exitCode;
    });
    done.catch((err) => ctx.log.warn({ err, execId }, 'cannot record the end of an exec'));
    return { exec: getExec(ctx, execId), logPath: started.logPath, done };
  });
}

/**
 * The exec'd process: the container's own (capabilities, rlimits, env, no-new-privileges)
 * with the command, user, env, working dir and terminal of the session.
 */
export async function execProcess(ctx: ExecContainerDeps, id: string, config: ExecConfig, consoleSize?: [number, number]): Promise<Record<string, unknown>> {
  const spec = JSON.parse(await fsp.readFile(path.join(ctx.runtime.bundleDir(id), 'config.json'), 'utf8')) as {
    process: Record<string, unknown> & { env: string[]; cwd: string; user: unknown; capabilities: Record<string, string[]> };
    root: { path: string };
  };
  const c = getContainer(ctx.views, id);
  const proc = { ...spec.process };
  proc.args = config.Cmd;
  proc.terminal = config.Tty;
  if (config.Tty && consoleSize) proc.consoleSize = { height: consoleSize[0], width: consoleSize[1] };
  else delete proc.consoleSize;
  const withTerm = config.Tty && !proc.env.some((e) => e.startsWith('TERM=')) ? [...proc.env, 'TERM=xterm'] : proc.env;
  proc.env = mergeEnv(withTerm, config.Env);
  proc.cwd = config.WorkingDir || proc.cwd;
  if (config.User) {
    const [passwd, group] = await Promise.all(
      ['etc/passwd', 'etc/group'].map((f) => fsp.readFile(path.join(spec.root.path, f), 'utf8').catch(() => '')),
    );
    try {
      proc.user = resolveUser(config.User, passwd, group);
    } catch (e) {
      throw new UserNotFound((e as Error).message);
    }
  }
  if (config.Privileged || c.hostConfig.Privileged) {
    const all = ctx.hostLimits.caps;
    proc.capabilities = { bounding: all, effective: all, permitted: all };
  }
  return proc;
}

/** Docker's words for a process that could not start (what runc said, or a user that is not there). */
function execErrorMessage(e: unknown): string {
  if (e instanceof UserNotFound) return `OCI runtime exec failed: exec failed: unable to start container process: ${e.message}: unknown`;
  const raw = (e as Error).message.replace(/^.*?msg="?/s, '').replace(/"?\s*$/, '').replace(/\\"/g, '"').trim();
  return e instanceof StartError ? `OCI runtime exec failed: ${raw}: unknown` : raw;
}

class UserNotFound extends Error {}

/** Window size of an exec session with a tty (docker exec -t follows the terminal). */
export async function resizeExec(ctx: ExecContainerDeps, execId: string, rows: number, cols: number): Promise<void> {
  const x = getExec(ctx, execId);
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) throw invalidArgument('invalid terminal size');
  if (x.status !== 'running') throw conflict(`Exec ${execId} is not running`);
  if (!x.config.Tty) return;
  await ctx.runtime.resizeExec(x.containerId, execId, rows, cols).catch((e: Error) => {
    throw conflict(`cannot resize exec ${execId}: ${e.message}`);
  });
}

/**
 * Exec sessions that were running when the daemon went away have lost their sync pipe:
 * settle them from the exit file their conmon writes (or as unknown once conmon is gone).
 * Returns a stop function for the poll that watches those still running.
 */
export function adoptExecs(ctx: ExecContainerDeps, everyMs = 1000): () => void {
  const adopted = new Set([...ctx.views.execs.values()].filter((x) => x.status === 'running').map((x) => x.id));
  const check = async () => {
    for (const id of adopted) {
      const x = ctx.views.execs.get(id);
      const c = x && ctx.views.containers.get(x.containerId);
      if (!x || !c || x.status !== 'running') {
        adopted.delete(id);
        continue;
      }
      const dir = ctx.runtime.execDir(c.id, id);
      const exitFile = () => fsp.readFile(path.join(dir, c.id), 'utf8').then((t) => (/^-?\d+\s*$/.test(t) ? Number(t.trim()) : undefined), () => undefined);
      const conmonPid = Number(await fsp.readFile(path.join(dir, 'conmon.pid'), 'utf8').catch(() => '0'));
      let exitCode = await exitFile();
      // conmon writes the exit file and then exits: once it is gone, the file is read again
      // (it may have been written between the two reads) before the end is called unknown.
      if (exitCode === undefined && !isAlive(conmonPid)) exitCode = (await exitFile()) ?? -1;
      if (exitCode === undefined) continue;
      adopted.delete(id);
      await appendFor(ctx, c, [{ type: 'exec.died', data: { id, container: c.id, exitCode, ...(exitCode < 0 ? { error: 'exec monitor exited while the daemon was down' } : {}) } }], {
        execCmd: x.config.Cmd.join(' '),
      });
    }
  };
  // A crash between conmon starting the process and exec.started: conmon left its pid file.
  const adoptStarted = async () => {
    for (const x of [...ctx.views.execs.values()].filter((x) => x.status === 'created')) {
      const c = ctx.views.containers.get(x.containerId);
      if (!c) continue;
      const dir = ctx.runtime.execDir(c.id, x.id);
      if (!(await fsp.access(path.join(dir, 'conmon.pid')).then(() => true, () => false))) continue;
      const pid = Number(await fsp.readFile(path.join(dir, 'pidfile'), 'utf8').catch(() => '0')) || 0;
      await appendFor(ctx, c, [{ type: 'exec.started', data: { id: x.id, container: c.id, pid } }], { execCmd: x.config.Cmd.join(' ') });
      adopted.add(x.id);
    }
  };
  const timer = setInterval(() => void check().catch((e: Error) => ctx.log.warn({ err: e.message }, 'exec check failed')), everyMs);
  timer.unref();
  void adoptStarted().then(check).catch((e: Error) => ctx.log.warn({ err: e.message }, 'exec adoption failed'));
  return () => clearInterval(timer);
}
