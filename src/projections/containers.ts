import { evolveContainer, type ContainerView } from '../domain/container';
import type { Envelope } from '../domain/envelope';

/** Containers by id. A record replaces the container it concerns (domain/container.ts folds it). */
export type ContainersView = Map<string, ContainerView>;

export function evolveContainers(containers: ContainersView, e: Envelope): ContainersView {
  if (!e.type.startsWith('container.')) return containers;
  const id = e.data.id;
  const after = evolveContainer(containers.get(id), e, e.seq);
  if (after) containers.set(id, after);
  else containers.delete(id);
  return containers;
}
