import { nanosToRfc3339 } from '../domain/time';
import type { EngineContext } from './context';

export interface BuildRecord {
  id: string;
  started: string;
  context: string;
  remote?: string;
  dockerfile: string;
  tags: string[];
  target?: string;
  buildArgs: string[];
  noCache: boolean;
  steps: { step: number; stage: number; instruction: string; image: string; cached: boolean }[];
  result: 'running' | 'finished' | 'failed';
  image?: string;
  error?: string;
  ended?: string;
}

/**
 * The builds as the journal recorded them, oldest first: which context and Dockerfile, each
 * step's image and whether it came from the cache, how it ended. Read from the journal
 * itself (not the views), so it is the audit trail, across restarts.
 */
export async function listBuilds(ctx: EngineContext): Promise<BuildRecord[]> {
  const builds = new Map<string, BuildRecord>();
  for await (const e of ctx.journal.read()) {
    if (!e.type.startsWith('build.')) continue;
    if (e.type === 'build.started') {
      const { id, ...d } = e.data;
      builds.set(id, { id, started: nanosToRfc3339(e.time), ...d, steps: [], result: 'running' });
      continue;
    }
    const b = builds.get(e.data.id);
    if (!b) continue;
    if (e.type === 'build.step') {
      const { id: _id, ...step } = e.data;
      b.steps.push(step);
    } else if (e.type === 'build.finished') {
      Object.assign(b, { result: 'finished', image: e.data.image, ended: nanosToRfc3339(e.time) });
    } else if (e.type === 'build.failed') {
      Object.assign(b, { result: 'failed', error: e.data.error, ended: nanosToRfc3339(e.time) });
    }
  }
  return [...builds.values()];
}
