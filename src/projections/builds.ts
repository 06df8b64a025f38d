import type { WharfEvent } from '../domain/events';

/** Builds begun and not ended: boot ends them as failed (the daemon stopped during them). */
export type OpenBuildsView = Set<string>;

export function evolveOpenBuilds(builds: OpenBuildsView, e: WharfEvent): OpenBuildsView {
  if (e.type === 'build.started') builds.add(e.data.id);
  else if (e.type === 'build.finished' || e.type === 'build.failed') builds.delete(e.data.id);
  return builds;
}
