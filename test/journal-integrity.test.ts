import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { api, eventually, TestDaemon } from './helpers/wharfd';

// What a user sees when the journal is damaged or its disk fills up: the damage is found and
// named, the daemon turns read-only (or refuses to start, naming the way out), no user file is
// deleted, and nothing acknowledged is lost. Each test has its own daemon and data root.

const journalDir = (d: TestDaemon) => path.join(d.dataRoot, 'journal');
const newestLog = (d: TestDaemon) => {
  const logs = readdirSync(journalDir(d)).filter((f) => f.endsWith('.log')).sort();
  return path.join(journalDir(d), logs[logs.length - 1]);
};
const warnings = (d: TestDaemon): string[] => JSON.parse(d.dockerOk(['info', '--format', '{{json .Warnings}}'])) ?? [];
/** Every file under a directory (relative paths), to show that nothing was deleted. */
function filesUnder(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p, base) : [path.relative(base, p)];
  });
}

async function withDaemon(fn: (d: TestDaemon) => Promise<void>): Promise<void> {
  const d = new TestDaemon();
  try {
    await fn(d);
  } finally {
    await d.cleanup();
  }
}

describe('a damaged journal', () => {
  test('a journal cut short by one byte: read-only with the loss named, the volume kept; repair, then its directory is quarantined, not deleted', () =>
    withDaemon(async (d) => {
      await d.start();
      d.importBusybox();
      d.dockerOk(['volume', 'create', 'precious']);
      const data = path.join(d.dataRoot, 'volumes', 'precious', '_data');
      writeFileSync(path.join(data, 'thesis.txt'), 'years of work\n');
      assert.match(d.wharfOk(['journal', 'verify']), /^journal intact: \d+ records, head \d+ [0-9a-f]{64}\n$/);
      const acknowledged = JSON.parse((await api(d.sock, 'GET', '/wharf/v1/journal/verify')).body).Acknowledged.Seq as string;
      await d.kill9();
      const log = newestLog(d);
      truncateSync(log, statSync(log).size - 1);

      await d.start();
      // Reads answer; the damage is named in docker info; writes are refused with a 503.
      assert.match(d.dockerOk(['volume', 'ls', '-q']), /^$|precious/);
      const w = warnings(d).join('\n');
      assert.match(w, new RegExp(`journal is damaged \\(the journal ends at record ${BigInt(acknowledged) - 1n} but record ${acknowledged} was acknowledged`));
      const refused = d.docker(['volume', 'create', 'other']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /journal is damaged .* read-only until it is repaired/);
      const r = await api(d.sock, 'POST', '/volumes/create', JSON.stringify({ Name: 'xy' }), { 'Content-Type': 'application/json' });
      assert.equal(r.status, 503);
      const v = d.wharf(['journal', 'verify']);
      assert.equal(v.code, 1);
      assert.match(v.stderr, new RegExp(`journal damaged at record ${acknowledged}: `));
      assert.equal(readFileSync(path.join(data, 'thesis.txt'), 'utf8'), 'years of work\n', 'the user file is still there');

      // Offline, on the stopped daemon's data root: the same verdict; then repair keeps the intact part.
      await d.stop();
      const off = d.wharf(['journal', 'verify', '--data-root', d.dataRoot]);
      assert.equal(off.code, 1, off.stdout + off.stderr);
      assert.match(off.stderr, new RegExp(`journal damaged at record ${acknowledged}`));
      const repair = d.wharf(['journal', 'repair', '--data-root', d.dataRoot]);
      assert.equal(repair.code, 0, repair.stderr);
      assert.match(repair.stdout, /journal backed up to .*quarantine/);
      assert.match(repair.stdout, /1 acknowledged record\(s\) after record \d+ could not be recovered/);
      assert.equal(d.wharf(['journal', 'verify', '--data-root', d.dataRoot]).code, 0);

      await d.start();
      d.dockerOk(['volume', 'create', 'after-repair']);
      assert.deepEqual(d.dockerOk(['volume', 'ls', '-q']).split('\n').filter(Boolean), ['after-repair'], 'the lost record is gone, the journal takes writes');
      // The volume's directory was not deleted: it waits in the quarantine, file and all.
      const q = d.wharfOk(['quarantine', 'ls']);
      assert.match(q, /volumes\/precious\s+.*the directory of volume precious/);
      const kept = filesUnder(path.join(d.dataRoot, 'quarantine')).find((f) => f.endsWith('volumes/precious/_data/thesis.txt'));
      assert.ok(kept, 'the file is in the quarantine');
      assert.equal(readFileSync(path.join(d.dataRoot, 'quarantine', kept), 'utf8'), 'years of work\n');
      assert.match(warnings(d).join('\n'), /item\(s\) in the quarantine/);
      const pruned = d.wharfOk(['quarantine', 'prune']);
      assert.match(pruned, /Total reclaimed space: /);
      assert.equal(d.wharfOk(['quarantine', 'ls']).trim().split('\n').length, 1, 'only the header is left');
      assert.equal(d.wharf(['journal', 'verify']).code, 0);
    }));

  test('a flipped byte in the middle of the log: read-only, the first bad record named, no file deleted', () =>
    withDaemon(async (d) => {
      await d.start();
      d.importBusybox();
      for (let i = 0; i < 30; i++) d.dockerOk(['tag', 'busybox', `many:${i}`]);
      d.dockerOk(['volume', 'create', 'v1']);
      d.dockerOk(['create', '--name', 'c1', 'busybox', 'true']);
      await d.kill9();
      const before = filesUnder(d.dataRoot).filter((f) => !f.startsWith('journal')).sort();
      const log = newestLog(d);
      const bytes = readFileSync(log);
      const at = Math.floor(bytes.length / 2);
      bytes[at] ^= 0xff;
      writeFileSync(log, bytes);

      await d.start();
      const w = warnings(d).join('\n');
      assert.match(w, /journal is damaged \(/);
      const v = d.wharf(['journal', 'verify']);
      assert.equal(v.code, 1);
      const firstBad = Number(/journal damaged at record (\d+)/.exec(v.stderr)?.[1]);
      assert.ok(firstBad > 1, v.stderr);
      assert.notEqual(d.docker(['tag', 'busybox', 'more:1']).code, 0, 'writes are refused');
      const after = filesUnder(d.dataRoot).filter((f) => !f.startsWith('journal') && !f.startsWith('quarantine')).sort();
      assert.deepEqual(after, before, 'not one file of the data root was removed or moved');
      assert.ok(filesUnder(path.join(d.dataRoot, 'quarantine')).some((f) => f.includes('journal.preopen')), 'the log as found is kept as evidence');
    }));

  test('a missing CURRENT is damage, not an empty journal: wharfd refuses to start, names the way out, and repair brings everything back', () =>
    withDaemon(async (d) => {
      await d.start();
      d.importBusybox();
      d.dockerOk(['volume', 'create', 'v1']);
      d.dockerOk(['create', '--name', 'c1', 'busybox', 'true']);
      await d.stop();
      const before = filesUnder(d.dataRoot).filter((f) => !f.startsWith('journal')).sort();
      unlinkSync(path.join(journalDir(d), 'CURRENT'));

      await assert.rejects(d.start(), /has no CURRENT file .* damaged, not empty\. Nothing was changed\. Rebuild it from its files with: wharf journal repair --data-root/);
      assert.deepEqual(filesUnder(d.dataRoot).filter((f) => !f.startsWith('journal')).sort(), before, 'nothing was deleted');
      const off = d.wharf(['journal', 'verify', '--data-root', d.dataRoot]);
      assert.equal(off.code, 2);
      assert.match(off.stderr, /no CURRENT file/);

      const repair = d.wharf(['journal', 'repair', '--data-root', d.dataRoot]);
      assert.equal(repair.code, 0, repair.stderr);
      assert.match(repair.stdout, /LevelDB's files were rebuilt/);
      assert.match(repair.stdout, /nothing dropped/);
      d.log = '';
      await d.start();
      assert.deepEqual(d.dockerOk(['volume', 'ls', '-q']).trim(), 'v1');
      assert.match(d.dockerOk(['ps', '-a', '--format', '{{.Names}}']), /^c1$/m);
      assert.match(d.dockerOk(['images', '--format', '{{.Repository}}']), /busybox/);
      assert.equal(d.wharf(['journal', 'verify']).code, 0);
    }));
});

describe('a full disk', () => {
  test('after a failed write nothing is acknowledged; when space returns the journal is reopened by itself; a restart while full says so', () =>
    withDaemon(async (d) => {
      mkdirSync(d.dataRoot, { recursive: true });
      assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', d.dataRoot]).status, 0);
      await d.start();
      d.importBusybox();
      const fill = path.join(d.dataRoot, 'fill');
      const acked: string[] = [];
      const refusedTags: string[] = [];
      spawnSync('dd', ['if=/dev/zero', `of=${fill}`, 'bs=1M', 'count=64'], { stdio: 'ignore' });
      // Until a write fails, writes may still fit in pages the log already has; after it, none is acknowledged.
      for (let i = 0; i < 40; i++) {
        const r = d.docker(['tag', 'busybox', `t:${i}`]);
        if (r.code === 0) {
          assert.equal(refusedTags.length, 0, `tag t:${i} acknowledged after a refused one`);
          acked.push(`t:${i}`);
        } else {
          refusedTags.push(`t:${i}`);
          assert.match(r.stderr, /the journal refuses writes since a write failed .*No space left on device|No space left on device/);
        }
      }
      assert.ok(refusedTags.length > 0, 'the disk filled up');
      for (const args of [['volume', 'create', 'vfull'], ['create', '--name', 'cfull', 'busybox', 'true'], ['rmi', 'busybox']]) {
        const r = d.docker(args);
        assert.notEqual(r.code, 0, `docker ${args.join(' ')} must be refused`);
      }
      assert.match(warnings(d).join('\n'), /a journal write failed .* writes are refused until it can be reopened and verified/);

      // A restart while still full: a clear message, not "another wharfd".
      await d.kill9();
      await assert.rejects(d.start(), /no space left on its filesystem.*Free space there and start wharfd again/);

      unlinkSync(fill);
      d.log = '';
      await d.start();
      const tags = d.dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n');
      for (const t of acked) assert.ok(tags.includes(t), `acknowledged ${t} survived`);
      for (const t of refusedTags) assert.ok(!tags.includes(t), `refused ${t} is not there`);
      assert.equal(d.wharf(['journal', 'verify']).code, 0);

      // Full again while running, then space comes back without a restart: writes resume by themselves.
      spawnSync('dd', ['if=/dev/zero', `of=${fill}`, 'bs=1M', 'count=64'], { stdio: 'ignore' });
      let refused = false;
      for (let i = 0; i < 40 && !refused; i++) refused = d.docker(['tag', 'busybox', `u:${i}`]).code !== 0;
      assert.ok(refused);
      unlinkSync(fill);
      await eventually(() => d.docker(['volume', 'create', 'back']).code === 0, 15_000, 'writes accepted again');
      await eventually(() => /the journal was reopened and verified: writes are accepted again/.test(d.log), 5_000, 'the reopen in the log');
      const ackedU = d.dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter((t) => t.startsWith('u:'));
      await d.kill9();
      d.log = '';
      await d.start();
      const afterRestart = d.dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter((t) => t.startsWith('u:'));
      assert.deepEqual(afterRestart.sort(), ackedU.sort(), 'every acknowledged tag survived the restart');
      assert.deepEqual(d.dockerOk(['volume', 'ls', '-q']).trim(), 'back');
      assert.equal(d.wharf(['journal', 'verify']).code, 0);
    }));
});
