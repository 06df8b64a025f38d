import { execFile } from 'node:child_process';
import type { RuncConmonRuntime } from './runc-conmon';

/**
 * Change a running container's cgroup limits: `runc update --resources -` with OCI
 * LinuxResources JSON on stdin ({memory: {limit, swap}, cpu: {shares, quota, period, cpus,
 * mems}, pids: {limit}}).
 */
export function runcUpdate(runtime: Pick<RuncConmonRuntime, 'runc' | 'paths'>, id: string, resources: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(runtime.runc, ['--root', runtime.paths.runcRoot, 'update', '--resources', '-', id], { encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (err) reject(new Error(String(stderr || err.message).trim()));
      else resolve();
    });
    child.stdin?.end(JSON.stringify(resources));
  });
}
