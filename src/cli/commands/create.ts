import type { Command } from 'commander';
import type { Client } from '../../client/client';
import type { CommandSpec, IO } from '../command';
import { ConfigError, containerConfigOptions, createContainer, declareContainerConfig, type ContainerConfigOptions } from './container-config';

export type CreateOptions = ContainerConfigOptions;

export function declareCreate(cmd: Command): Command {
  return declareContainerConfig(cmd);
}

/** Create the container and print its id; errors go up (printed as docker does, exit 1). */
export async function runCreate(o: CreateOptions, client: Client, io: IO): Promise<number> {
  let id: string;
  try {
    id = await createContainer(client, o, false, io);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.stderr.write(`wharf: ${e.message}\n\nRun 'wharf create --help' for more information\n`);
    return 125;
  }
  io.stdout.write(`${id}\n`);
  return 0;
}

export const create: CommandSpec<CreateOptions> = {
  name: 'create',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  declare: declareCreate,
  options: (a, f) => containerConfigOptions(a, f, 'create'),
  run: runCreate,
};
