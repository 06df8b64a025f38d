import type { ContainerView } from '../domain/container';

/** Container names → ids: the name a container has now, for each container. */
export type NamesView = Map<string, string>;

/**
 * The names projection, from what a container record did to its container (`before` and
 * `after` it, as the containers projection folds it): a name is given up when the container
 * goes or takes another one.
 */
export function evolveNames(names: NamesView, id: string, before: ContainerView | undefined, after: ContainerView | undefined): NamesView {
  if (before && (!after || after.name !== before.name)) names.delete(before.name);
  if (after) names.set(after.name, id);
  return names;
}
