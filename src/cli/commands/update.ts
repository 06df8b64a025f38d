import { forEachRef, printError, PROG, UsageError, type CommandSpec } from '../command';
import { ConfigError, declareResourceFlags, restartPolicy } from './container-config';

export interface UpdateOptions {
  containers: string[];
  body: Record<string, unknown>;
}

/** docker update: new resource limits (and restart policy) for running or stopped containers. */
export const update: CommandSpec<UpdateOptions> = {
  name: 'update',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Update configuration of one or more containers',
  declare: (cmd) =>
    declareResourceFlags(cmd)
      .argument('[containers...]', 'CONTAINER [CONTAINER...]')
      .option('--restart <string>', 'Restart policy to apply when a container exits'),
  options: (a, f) => {
    const containers = (a[0] as string[]) ?? [];
    if (!containers.length) throw new UsageError(`'${PROG} update' requires at least 1 argument`);
    const body: Record<string, unknown> = {};
    const set = (k: string, v: unknown) => v !== undefined && (body[k] = v);
    set('CpuPeriod', f.cpuPeriod);
    set('CpuQuota', f.cpuQuota);
    set('CpuShares', f.cpuShares);
    set('NanoCpus', f.cpus);
    set('CpusetCpus', f.cpusetCpus);
    set('CpusetMems', f.cpusetMems);
    set('Memory', f.memory);
    set('MemoryReservation', f.memoryReservation);
    set('MemorySwap', f.memorySwap);
    set('PidsLimit', f.pidsLimit);
    if (f.restart !== undefined) {
      try {
        body.RestartPolicy = restartPolicy(String(f.restart));
      } catch (e) {
        throw new UsageError((e as ConfigError).message, 125);
      }
    }
    return { containers, body };
  },
  run: async (o, client, io) => {
    if (!Object.keys(o.body).length) {
      io.stderr.write('you must provide one or more flags when using this command\n');
      return 1;
    }
    const { code, failed } = await forEachRef(io, o.containers, async (ref) => {
      await client.containerUpdate(ref, o.body);
      return ref;
    });
    if (failed.length) printError(io, new Error(`Error: failed to update containers: ${failed.join(', ')}`));
    return code;
  },
};
