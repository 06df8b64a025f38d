import { execFile, type ExecFileOptions } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Run a host command; reject with its stderr as the message. */
export function run(cmd: string, args: string[], opts: ExecFileOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const e = new Error(String(stderr || err.message).trim()) as Error & { code?: unknown };
        e.code = (err as NodeJS.ErrnoException).code;
        reject(e);
      } else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
