import { checkRestartPolicy, type ContainerView } from './container';
import { conflict, invalidArgument } from './errors';
import type { HostConfigUpdate, WharfEvent } from './events';
import type { ResourceLimits } from './resources';

/** Docker's update body: Resources fields and a RestartPolicy; zero / empty / null means "leave as is". */
export interface UpdateRequest extends ResourceLimits {
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | null;
  [k: string]: unknown;
}


const numberOf = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The fields an update applies (below); any other field set to something is refused, never kept unapplied. */
const UPDATABLE = new Set(['CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'Memory', 'MemorySwap', 'PidsLimit', 'RestartPolicy']);
const isSet = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== false && v !== 0 && v !== '' && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

/**
 * decide for docker update: the fields to change, with Docker's checks. Resource limits
 * themselves (minimums, memory vs swap) are checked by the engine on the merged HostConfig.
 */
export function decideUpdate(c: ContainerView, req: UpdateRequest): WharfEvent[] {
  if (c.status === 'removing') throw conflict(`container ${c.id} is marked for removal and cannot be "update"`);
  for (const [k, v] of Object.entries(req)) {
    // MemorySwappiness -1 is "unset", as Docker sends it.
    if (!UPDATABLE.has(k) && isSet(v) && !(k === 'MemorySwappiness' && v === -1)) throw invalidArgument(`${k} cannot be updated by wharfd: recreate the container to change it`);
  }
  const cur = c.hostConfig;
  const ch: HostConfigUpdate = {};
  const nano = numberOf(req.NanoCpus);
  const period = numberOf(req.CpuPeriod);
  const quota = numberOf(req.CpuQuota);
  if (nano > 0 && numberOf(cur.CpuPeriod) > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (nano > 0 && numberOf(cur.CpuQuota) > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if (period > 0 && numberOf(cur.NanoCpus) > 0) throw conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (quota > 0 && numberOf(cur.NanoCpus) > 0) throw conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  if (numberOf(req.CpuShares)) ch.CpuShares = numberOf(req.CpuShares);
  if (nano) ch.NanoCpus = nano;
  if (period) ch.CpuPeriod = period;
  if (quota) ch.CpuQuota = quota;
  if (typeof req.CpusetCpus === 'string' && req.CpusetCpus !== '') ch.CpusetCpus = req.CpusetCpus;
  if (typeof req.CpusetMems === 'string' && req.CpusetMems !== '') ch.CpusetMems = req.CpusetMems;
  const mem = numberOf(req.Memory);
  const swap = numberOf(req.MemorySwap);
  if (mem) {
    // The swap in force: as set, or twice the memory limit when only that was set (Docker's default).
    const curMem = numberOf(cur.Memory);
    const curSwap = numberOf(cur.MemorySwap) || (curMem > 0 ? curMem * 2 : 0);
    if (curSwap > 0 && mem > curSwap && swap === 0) {
      throw conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    ch.Memory = mem;
    // Keep the swap in force unless a new one is given (its "twice the memory" default is of the old limit).
    if (swap === 0 && curSwap > 0 && numberOf(cur.MemorySwap) === 0) ch.MemorySwap = curSwap;
  }
  if (swap) ch.MemorySwap = swap;
  if (req.PidsLimit !== undefined && req.PidsLimit !== null) ch.PidsLimit = numberOf(req.PidsLimit) > 0 ? numberOf(req.PidsLimit) : 0;
  const rp = req.RestartPolicy;
  if (rp && rp.Name) {
    const count = numberOf(rp.MaximumRetryCount);
    checkRestartPolicy({ Name: rp.Name, MaximumRetryCount: count }, false);
    if (c.hostConfig.AutoRemove && rp.Name !== 'no') throw conflict('Restart policy cannot be updated because AutoRemove is enabled for the container');
    ch.RestartPolicy = { Name: rp.Name, MaximumRetryCount: count };
  }
  return [{ type: 'container.updated', data: { id: c.id, ...ch } }];
}
