import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CHECKPOINT_FILE, codeFingerprint } from '../src/projections/checkpoint';
import { eventually, ROOT, sleep, TestDaemon } from './helpers/wharfd';

// An upgrade with containers running: the previous release's wharfd (a packed build,
// test/fixtures; scripts/golden/pack-previous.sh makes the next one) runs containers on a data
// root, stops gracefully (live restore: the containers keep running), and today's wharfd
// starts on the same data root.

const PREVIOUS_RELEASE = path.join(ROOT, 'test', 'fixtures', 'wharfd-646c1d1.tar.gz');

const d = new TestDaemon();
const prev = mkdtempSync(path.join(os.tmpdir(), 'wfgold-prev-'));
before(() => {
  execFileSync('tar', ['-xzf', PREVIOUS_RELEASE, '-C', prev]);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(prev, 'node_modules'));
});
after(async () => {
  await d.cleanup();
  rmSync(prev, { recursive: true, force: true });
});

const ticking = (name: string, extra: string[], tee = '') => ['run', '-d', '--name', name, ...extra, 'busybox', 'sh', '-c', `i=0; while true; do i=$((i+1)); echo line $i${tee}; sleep 0.2; done`];
const lineNumbers = (out: string) => out.trim().split('\n').map((l) => Number(/^line (\d+)$/.exec(l)?.[1] ?? NaN));
const pidOf = (name: string) => d.dockerOk(['inspect', '-f', '{{.State.Pid}}', name]).trim();
const events = () => d.dockerOk(['events', '--since', '0', '--until', String(Math.floor(Date.now() / 1000) + 1), '--format', '{{.TimeNano}}|{{.Type}}|{{.Action}}|{{.Actor.ID}}']).trim().split('\n');

test("the previous release's containers are adopted by today's wharfd: same processes, continuous logs, one events history", async () => {
  // The previous release.
  d.wharfdBin = path.join(prev, 'bin', 'wharfd');
  await d.start();
  d.importBusybox();
  d.dockerOk(ticking('ticker', ['--restart', 'always']));
  d.dockerOk(ticking('keeper', ['-v', 'upvol:/data'], ' | tee -a /data/lines'));
  d.dockerOk(['run', '--name', 'done', 'busybox', 'echo', 'bye']);
  d.dockerOk(['tag', 'busybox', 'upg/tagged:1']);
  const pids = { ticker: pidOf('ticker'), keeper: pidOf('keeper') };
  await sleep(1000);
  const before = events();
  const linesBefore = lineNumbers(d.dockerOk(['logs', 'ticker']));
  await d.stop();
  assert.ok(existsSync(path.join(d.dataRoot, CHECKPOINT_FILE)), 'the previous release wrote its checkpoint at its graceful stop');
  const header = JSON.parse(readFileSync(path.join(d.dataRoot, CHECKPOINT_FILE), 'utf8').split('\n')[0]) as { code: string };
  for (const pid of Object.values(pids)) assert.ok(existsSync(`/proc/${pid}`), `container process ${pid} outlives the old daemon`);
  await sleep(600); // lines written while no daemon runs

  // Today's.
  d.wharfdBin = path.join(ROOT, 'bin', 'wharfd');
  const oldLog = d.log;
  await d.start();
  const log = d.log.slice(oldLog.length);
  // A checkpoint of another build of the views' code is ignored (full replay), never trusted.
  if (header.code !== codeFingerprint()) assert.match(log, /ignoring the views checkpoint: it was written by another build/, 'the old checkpoint is not trusted');
  else assert.match(log, /starting from the views checkpoint/);
  assert.equal(d.dockerOk(['ps', '-a', '--format', '{{.Names}} {{.State}}']).trim().split('\n').sort().join(', '), 'done exited, keeper running, ticker running');
  assert.deepEqual({ ticker: pidOf('ticker'), keeper: pidOf('keeper') }, pids, 'the same processes, adopted');
  assert.deepEqual(d.dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']).trim().split('\n').sort(), ['busybox:latest', 'upg/tagged:1']);
  assert.equal(d.dockerOk(['volume', 'ls', '--format', '{{.Name}}']).trim(), 'upvol');
  assert.equal(d.dockerOk(['logs', 'done']), 'bye\n');

  // Logs: every line, from the old daemon's time through the switch to today's.
  await eventually(() => lineNumbers(d.dockerOk(['logs', 'ticker'])).length > linesBefore.length + 8, 10_000, 'new lines after the switch');
  for (const name of ['ticker', 'keeper']) {
    const n = lineNumbers(d.dockerOk(['logs', name]));
    assert.deepEqual(n, n.map((_x, i) => i + 1), `${name}: lines 1..${n.length} with none missing or repeated`);
  }
  assert.deepEqual(lineNumbers(d.dockerOk(['logs', 'ticker'])).slice(0, linesBefore.length), linesBefore);

  // Events: the old daemon's history first, as it was, then today's, with no duplicate.
  const after = events();
  assert.deepEqual(after.slice(0, before.length), before);
  assert.equal(new Set(after).size, after.length, 'no duplicate event');
  assert.ok(before.some((e) => e.includes('|container|create|')) && before.some((e) => e.includes('|image|tag|')));

  // Today's daemon drives them: stop (restart policy always), rm -f, volume rm; the journal verifies.
  d.dockerOk(['stop', '-t', '1', 'ticker']);
  assert.equal(d.dockerOk(['inspect', '-f', '{{.State.Status}}', 'ticker']).trim(), 'exited');
  assert.ok(!existsSync(`/proc/${pids.ticker}`));
  d.dockerOk(['rm', '-f', 'keeper', 'ticker', 'done']);
  d.dockerOk(['volume', 'rm', 'upvol']);
  assert.equal(d.dockerOk(['ps', '-aq']), '');
  const end = events().slice(after.length);
  assert.ok(['container|stop', 'container|destroy', 'volume|destroy'].every((a) => end.some((e) => e.includes(`|${a}|`))), end.join('\n'));
  const verify = d.wharf(['journal', 'verify']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
});
