import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { EVENT_VERSION } from '../src/domain/events';
import { parseExport, storedOf, type ExportedRecord } from '../src/journal/audit';
import { loadEventValidator } from '../src/journal/schemas';
import { jsonDifferences, replayExported, viewsJson } from '../src/projections/views-json';
import { ROOT, TestDaemon } from './helpers/wharfd';

// Golden journals (journal/golden/README.md): journals written by earlier versions of Wharf,
// exported as JSON lines with the views that version held. Today's code must replay each to
// the same views, field by field, and today's daemon must boot on each and show it.

const GOLDEN = path.join(ROOT, 'journal', 'golden');
const goldens = readdirSync(GOLDEN, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

interface Recorded {
  name: string;
  head: string;
  records: number;
  notWritten?: Record<string, string>;
}

function load(name: string): { records: ExportedRecord[]; views: unknown; recorded: Recorded; jsonl: string } {
  const dir = path.join(GOLDEN, name);
  const jsonl = readFileSync(path.join(dir, 'journal.jsonl'), 'utf8');
  return { jsonl, records: parseExport(jsonl), views: JSON.parse(readFileSync(path.join(dir, 'views.json'), 'utf8')), recorded: JSON.parse(readFileSync(path.join(dir, 'recorded.json'), 'utf8')) as Recorded };
}

type Views = Record<string, unknown>;
const pairs = <T>(x: unknown) => x as [string, T][];

test('there is a golden journal, and together they write every event type (or the newest says why not)', () => {
  assert.ok(goldens.length >= 1, `no golden journal in ${GOLDEN}`);
  const written = new Set<string>();
  for (const g of goldens) for (const r of load(g).records) written.add(r.type);
  const newest = load(goldens[goldens.length - 1]).recorded;
  const missing = Object.keys(EVENT_VERSION).filter((t) => !written.has(t) && !(t in (newest.notWritten ?? {})));
  assert.deepEqual(missing, [], `no golden journal writes ${missing.join(', ')}: record one with node scripts/golden/record.js NAME (journal/golden/README.md)`);
});

for (const name of goldens) {
  describe(`golden journal ${name}`, () => {
    const { records, views, recorded, jsonl } = load(name);

    test('every record matches its schema at its own version', () => {
      const validate = loadEventValidator();
      assert.equal(records.length, recorded.records);
      for (const r of records) {
        const s = storedOf(r);
        const why = validate({ ...s, seq: BigInt(s.seq), time: BigInt(s.time) } as never);
        assert.equal(why, undefined, `record ${r.seq} (${r.type} v${r.version}): ${why}`);
      }
    });

    test("replayed (upcast) by today's code into fresh views: the same views, field by field", () => {
      const replayed = viewsJson(replayExported(records));
      const diff = jsonDifferences(views, replayed);
      assert.deepEqual(diff, [], `today's views of ${name} differ from the golden's (expected = journal/golden/${name}/views.json):\n${diff.join('\n')}`);
    });

    describe("imported into a LevelDB journal, today's wharfd boots on it", () => {
      const d = new TestDaemon();
      after(() => d.cleanup());
      const expected = views as Views;

      test('journal import, then export gives the same lines and verify the same head hash as the daemon that wrote it', () => {
        assert.match(d.wharfOk(['journal', 'import', '--data-root', d.dataRoot, path.join(GOLDEN, name, 'journal.jsonl')]), new RegExp(`^imported ${records.length} records`));
        assert.equal(d.wharfOk(['journal', 'export', '--data-root', d.dataRoot]), jsonl);
        assert.match(d.wharfOk(['journal', 'verify', '--data-root', d.dataRoot]), new RegExp(`head ${records.length} ${recorded.head}`));
      });

      test('ps -a, images, volume ls, network ls and events --since 0 show what the golden holds', async () => {
        await d.start();
        const containers = pairs<{ name: string; status: string; exitCode?: number }>(expected.containers).map(([, c]) => c);
        const ps = d.dockerOk(['ps', '-a', '--format', '{{.Names}} {{.State}}']).trim().split('\n').sort();
        assert.deepEqual(ps, containers.map((c) => `${c.name.replace(/^\//, '')} ${c.status}`).sort());
        const images = expected.images as { images: [string, { tags: string[] }][] };
        const refs = images.images.flatMap(([, i]) => i.tags).sort();
        assert.deepEqual(d.dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']).trim().split('\n').sort(), refs);
        assert.deepEqual(d.dockerOk(['volume', 'ls', '--format', '{{.Name}}']).trim().split('\n').filter(Boolean).sort(), pairs(expected.volumes).map(([k]) => k).sort());
        const nets = pairs<{ name: string }>(expected.networks).map(([, n]) => n.name);
        assert.deepEqual(d.dockerOk(['network', 'ls', '--format', '{{.Name}}']).trim().split('\n').filter((n) => !['bridge', 'host', 'none'].includes(n)).sort(), nets.sort());

        // Events: the golden's history, at the golden's times, in its order.
        const until = String(Math.floor(Date.now() / 1000) + 1);
        const events = d.dockerOk(['events', '--since', '0', '--until', until, '--format', '{{.Type}}|{{.Action}}|{{.TimeNano}}']).trim().split('\n');
        const count = (t: string) => records.filter((r) => r.type === t).length;
        const seen = (a: string) => events.filter((e) => e.split('|').slice(0, 2).join(' ') === a).length;
        for (const [type, action] of [['container.created', 'container create'], ['container.died', 'container die'], ['container.destroyed', 'container destroy'], ['image.tagged', 'image tag'], ['image.pulled', 'image pull'], ['volume.created', 'volume create'], ['network.created', 'network create'], ['exec.died', 'container exec_die']]) {
          assert.equal(seen(action), count(type), `${action} events, as many as ${type} records`);
        }
        const toNanos = (t: string) => String(BigInt(Date.parse(t.slice(0, 19) + 'Z') / 1000) * 1_000_000_000n + BigInt(t.slice(20, 29)));
        const first = records.find((r) => r.type === 'container.created')!;
        assert.ok(events.includes(`container|create|${toNanos(first.time)}`), `the first container's create at its recorded time ${first.time}`);
        const nanos = events.map((e) => BigInt(e.split('|')[2]));
        assert.ok(nanos.every((t, i) => i === 0 || t >= nanos[i - 1]), 'events in order');
        assert.ok(events.length >= 100 || events.length >= records.length / 2, `events: ${events.length}`);
        if (name === 'v1-2026-12') {
          // A few of this golden's facts, as a user sees them.
          assert.equal(d.dockerOk(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'hog']).trim(), 'true 137');
          assert.equal(d.dockerOk(['inspect', '-f', '{{.RestartCount}} {{.HostConfig.RestartPolicy.Name}}', 'flap']).trim(), '2 on-failure');
          assert.equal(d.dockerOk(['inspect', '-f', '{{.HostConfig.CpuShares}} {{range .Mounts}}{{.Name}}{{end}}', 'web2']).trim(), '512 gvol');
          assert.match(d.dockerOk(['events', '--since', '0', '--until', until, '--filter', 'container=hog', '--format', '{{.Action}}']), /^create\nstart\noom\ndie\n/);
        }
      });

      test('the views after boot are the golden views (wharf journal rebuild agrees)', () => {
        const rebuild = d.wharf(['journal', 'rebuild']);
        assert.equal(rebuild.code, 0, rebuild.stdout + rebuild.stderr);
        // Boot may append records (a settlement); the golden's part is unchanged.
        const now = parseExport(d.wharfOk(['journal', 'export']));
        assert.deepEqual(now.slice(0, records.length), records);
        assert.deepEqual(now.slice(records.length).map((r) => r.type), [], 'boot appended nothing');
        assert.ok(existsSync(d.dataRoot));
      });
    });
  });
}
