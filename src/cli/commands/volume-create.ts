import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { collect, UsageError, type CommandSpec, type IO } from '../command';
import { labelMap } from './container-config';

export interface VolumeCreateOptions {
  name?: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

export function declareVolumeCreate(cmd: Command): Command {
  return cmd
    .argument('[name]', 'VOLUME')
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <list>', 'Set metadata for a volume', collect, [] as string[])
    .option('--name <string>', 'Specify volume name')
    .option('-o, --opt <map>', 'Set driver specific options', collect, [] as string[]);
}

export async function runVolumeCreate(o: VolumeCreateOptions, client: Client, io: IO): Promise<number> {
  const some = (m: Record<string, string>) => (Object.keys(m).length ? m : undefined);
  const v = await client.volumeCreate({ Name: o.name, Driver: o.driver, DriverOpts: some(o.options), Labels: some(o.labels) });
  io.stdout.write(`${v.Name}\n`);
  return 0;
}

export const volumeCreate: CommandSpec<VolumeCreateOptions> = {
  name: 'create',
  usage: '[OPTIONS] [VOLUME]',
  description: 'Create a volume',
  declare: declareVolumeCreate,
  options: (a, f) => {
    const arg = a[0] as string | undefined;
    const flag = f.name as string | undefined;
    if (arg && flag && arg !== flag) throw new UsageError(`conflicting options: cannot specify a volume-name through both --name and as a positional arg`);
    const options: Record<string, string> = {};
    for (const kv of f.opt as string[]) {
      const i = kv.indexOf('=');
      if (i < 0) throw new UsageError(`invalid argument "${kv}" for "-o, --opt" flag: bad format for driver-opts: ${kv}`, 125);
      options[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return { name: arg ?? flag, driver: String(f.driver), labels: labelMap(f.label as string[]), options };
  },
  run: runVolumeCreate,
};
