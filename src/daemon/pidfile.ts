import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../runtime/runc-conmon';

/**
 * Write our pid. A pidfile left by a killed daemon is stale and simply replaced; one naming a
 * live wharfd is refused (the data-root lock would refuse it anyway).
 */
export async function writePidfile(file: string): Promise<void> {
  const old = Number(await fsp.readFile(file, 'utf8').catch(() => ''));
  if (old && old !== process.pid && isAlive(old)) {
    const cmd = await fsp.readFile(`/proc/${old}/cmdline`, 'utf8').catch(() => '');
    if (/wharf/.test(cmd)) throw new Error(`pid file found, ensure wharfd is not running or delete ${file}`);
  }
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, String(process.pid));
}

export async function removePidfile(file: string): Promise<void> {
  const cur = Number(await fsp.readFile(file, 'utf8').catch(() => ''));
  if (cur === process.pid) await fsp.rm(file, { force: true });
}
