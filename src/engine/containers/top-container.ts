import { isRunning } from '../../domain/container';
import { conflict, internal, invalidArgument } from '../../domain/errors';
import { cgroupPids } from '../../runtime/cgroup-stats';
import { run } from '../../runtime/exec';
import { parsePsOutput, validatePsArgs, type TopResult } from '../../runtime/top';
import { getContainer } from '../lookup';
import { cgroupsPathOf } from './start-container';

import type { EngineDeps } from '../ports';

/** What top-container uses of the engine. */
export type TopContainerDeps = Pick<EngineDeps, 'views'>;
/** top: the host's ps, limited to the processes in the container's cgroup. */
export async function topContainer(ctx: TopContainerDeps, ref: string, psArgs?: string): Promise<TopResult> {
  const c = getContainer(ctx.views, ref);
  const args = (psArgs || '-ef').split(/\s+/).filter(Boolean);
  try {
    validatePsArgs(` ${psArgs ?? ''}`);
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  if (!isRunning(c)) throw conflict(`Container ${c.id} is not running`);
  const pids = await cgroupPids(cgroupsPathOf(c));
  let output: string;
  try {
    // "-q pid,pid" makes ps read only those; some options (forest "f") refuse it: then all.
    if (!pids.length) throw new Error('no pids');
    output = (await run('ps', [...args, `-q${pids.join(',')}`])).stdout;
  } catch {
    try {
      output = (await run('ps', args)).stdout;
    } catch (e) {
      throw internal(`ps: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return parsePsOutput(output, new Set(pids));
  } catch (e) {
    throw internal((e as Error).message);
  }
}
