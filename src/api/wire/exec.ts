import type { ExecView } from '../../domain/exec';

/** GET /exec/{id}/json, in Docker's shape. */
export function toDockerExec(x: ExecView) {
  const [entrypoint, ...args] = x.config.Cmd;
  return {
    CanRemove: false,
    ContainerID: x.containerId,
    DetachKeys: x.config.DetachKeys,
    ExitCode: x.exitCode,
    ID: x.id,
    OpenStderr: x.config.AttachStderr,
    OpenStdin: x.config.AttachStdin,
    OpenStdout: x.config.AttachStdout,
    ProcessConfig: { arguments: args, entrypoint, privileged: x.config.Privileged, tty: x.config.Tty, user: x.config.User },
    Running: x.status === 'running',
    Pid: x.status === 'running' ? x.pid : 0,
  };
}
