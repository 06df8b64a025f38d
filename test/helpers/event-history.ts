import type { WharfEvent } from '../../src/domain/events';
import type { LevelJournal } from '../../src/journal/level-journal';

// A long journal of container lives and image tags, for `docker events --since` over it: the
// unit test (correctness at a modest size) and scripts/bench/run-events.js (its speed at 100,000).

const hex = (n: number) => n.toString(16).padStart(64, '0');
const config = { Cmd: ['true'], Env: [], User: '', WorkingDir: '', Tty: false, AttachStdin: false, AttachStdout: true, AttachStderr: true, Privileged: false, DetachKeys: '' };

/** `records` records (5 per container c<i>: created, started, exec.created, died, and an image tag or untag), appended in batches. */
export async function writeEventHistory(journal: LevelJournal, records: number): Promise<void> {
  let batch: { events: WharfEvent[]; meta: Record<string, unknown> }[] = [];
  for (let i = 0; i * 5 < records; i++) {
    const id = hex(i);
    const meta = { name: `c${i}`, image: 'busybox', labels: { app: i % 100 === 0 ? 'one' : 'many' } };
    const events: WharfEvent[] = [
      { type: 'container.created', data: { id, name: `c${i}`, image: 'busybox', imageId: `sha256:${hex(1)}`, created: '', path: 'sh', args: [], config: { Labels: meta.labels } as never, hostConfig: {} as never } },
      { type: 'container.started', data: { id, pid: i, conmonPid: i, startedAt: '2026-01-01T00:00:01Z' } },
      { type: 'exec.created', data: { id: hex(records + i), container: id, config } },
      { type: 'container.died', data: { id, exitCode: 0, finishedAt: '2026-01-01T00:00:02Z' } },
    ];
    batch.push({ events, meta });
    batch.push({ events: [{ type: i % 10 === 0 ? 'image.untagged' : 'image.tagged', data: { id: `sha256:${hex(1)}`, ref: `app:${i}` } }], meta: { name: `app:${i}` } });
    if (batch.length >= 400) {
      await journal.appendAll(batch);
      batch = [];
    }
  }
  if (batch.length) await journal.appendAll(batch);
}

/** The filters asked over such a history, with how many events each must give (Docker's prefix matching of names included). */
export function eventCases(records: number): { label: string; filters: Record<string, string[]>; expected: number }[] {
  const containers = Math.ceil(records / 5);
  const named = (p: string) => Array.from({ length: containers }, (_, i) => `c${i}`).filter((n) => n.startsWith(p)).length;
  return [
    // create, start, exec_create, die of c500 and of every container whose name starts with it.
    { label: 'container=c500', filters: { container: ['c500'] }, expected: named('c500') * 4 },
    { label: 'type=image, event=untag', filters: { type: ['image'], event: ['untag'] }, expected: Math.ceil(containers / 10) },
    { label: 'label=app=one', filters: { label: ['app=one'] }, expected: Math.ceil(containers / 100) * 4 },
    { label: 'container=c500, event=die', filters: { container: ['c500'], event: ['die'] }, expected: named('c500') },
  ];
}
