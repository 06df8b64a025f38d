import { conflict, invalidArgument } from './errors';
import type { ContainerCreated, WharfEvent } from './events';

// docker create's decision: with the request resolved (image, config merged over the image's,
// host options checked, mounts and networks chosen), whether the name can be claimed, and the
// facts that record the container. Pure: the operation (engine/containers/create-container.ts)
// does the lookups and the I/O around it, under the name's lock.

export type CreateFacts = Omit<ContainerCreated['data'], 'path' | 'args'>;

export function nameInUse(name: string, by: string) {
  return conflict(
    `Conflict. The container name "/${name}" is already in use by container "${by}". You have to remove (or rename) that container to be able to reuse that name.`,
  );
}

/** The command a container runs: its entrypoint, then its cmd. */
export function commandLine(config: Pick<CreateFacts['config'], 'Entrypoint' | 'Cmd'>): string[] {
  return [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
}

/** takenBy: the container that holds the name now, if any. joins: the network-joined facts of its networks. */
export function decideCreate(f: CreateFacts, takenBy: string | undefined, joins: WharfEvent[]): WharfEvent[] {
  if (takenBy) throw nameInUse(f.name, takenBy);
  const cmdline = commandLine(f.config);
  if (cmdline.length === 0) throw invalidArgument('No command specified');
  return [{ type: 'container.created', data: { ...f, path: cmdline[0], args: cmdline.slice(1) } }, ...joins];
}
