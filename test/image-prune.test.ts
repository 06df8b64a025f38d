import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { api, BUSYBOX_TAR, daemonForFile } from './helpers/wharfd';

// docker images before/since filters and docker image prune (-a) with the real docker CLI.
const d = daemonForFile();
const ok = (args: string[]) => d.dockerOk(args);

test('images --filter before/since; image prune removes dangling images, -a every unused one', async () => {
  ok(['import', BUSYBOX_TAR, 'older:v1']);
  await new Promise((r) => setTimeout(r, 1100));
  ok(['run', '--name', 'maker', 'busybox', 'touch', '/made']);
  const committed = ok(['commit', 'maker', 'newer:v1']).trim();
  ok(['rm', 'maker']);
  assert.match(ok(['images', '--filter', 'since=older:v1', '--format', '{{.Repository}}']), /^newer$/m);
  assert.doesNotMatch(ok(['images', '--filter', 'since=older:v1', '--format', '{{.Repository}}']), /older/);
  assert.match(ok(['images', '--filter', 'before=newer:v1', '--format', '{{.Repository}}']), /older/);
  // A dangling image: untag the committed one by tagging its name onto another image.
  ok(['tag', 'older:v1', 'newer:v1']);
  assert.match(ok(['images', '-q', '--filter', 'dangling=true', '--no-trunc']), new RegExp(committed.replace('sha256:', '')));
  const pruned = ok(['image', 'prune', '-f']);
  assert.match(pruned, new RegExp(`deleted: ${committed}`));
  assert.match(pruned, /Total reclaimed space: /);
  // -a: every image no container uses (busybox stays: a container uses it).
  ok(['create', '--name', 'keeper', 'busybox', 'true']);
  const all = ok(['image', 'prune', '-a', '-f']);
  assert.match(all, /untagged: older:v1/);
  const left = ok(['images', '--format', '{{.Repository}}:{{.Tag}}']).trim().split('\n');
  assert.deepEqual(left, ['busybox:latest']);
  ok(['rm', 'keeper']);
});

test('concurrent imports of the same layer all succeed (one unpack wins, the others reuse it)', async () => {
  const body = readFileSync(BUSYBOX_TAR);
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => api(d.sock, 'POST', `/images/create?fromSrc=-&repo=same&tag=t${i}&changes=${encodeURIComponent(`LABEL n=${i}`)}`, body, { 'Content-Type': 'application/x-tar' })),
  );
  for (const r of results) assert.doesNotMatch(r.body, /error/, r.body);
  assert.equal(ok(['images', '--filter', 'reference=same', '-q']).trim().split('\n').length, 6);
});

test('docker system prune: stopped containers, unused networks and dangling images go; running containers and used images stay', () => {
  ok(['run', '--name', 'sp-dead', 'busybox', 'true']);
  ok(['run', '-d', '--name', 'sp-live', 'busybox', 'sleep', '300']);
  ok(['network', 'create', 'sp-net']);
  ok(['run', '--name', 'sp-maker', 'busybox', 'touch', '/x']);
  const dangling = ok(['commit', 'sp-maker', 'sp/img:1']).trim();
  ok(['rm', 'sp-maker']);
  ok(['tag', 'busybox', 'sp/img:1']); // the committed image loses its only tag
  try {
    const out = ok(['system', 'prune', '-f']);
    assert.match(out, /^Deleted Containers:$/m);
    assert.match(out, /^Deleted Networks:\nsp-net$/m);
    assert.match(out, new RegExp(`deleted: ${dangling}`));
    // Only the committed layer (a few kB) came back: busybox's layer is still used.
    assert.match(out, /^Total reclaimed space: \d+(\.\d+)?k?B$/m);
    assert.deepEqual(ok(['ps', '-a', '--format', '{{.Names}}']).trim().split('\n'), ['sp-live']);
    assert.equal(d.docker(['image', 'inspect', dangling]).code, 1);
    assert.equal(ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).length > 0, true);
  } finally {
    ok(['rm', '-f', 'sp-live']);
    ok(['rmi', 'sp/img:1']);
  }
});

test('wharf system prune asks as docker does, prunes the same and prints the same', () => {
  const question = 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] ';
  ok(['run', '--name', 'wsp-dead', 'busybox', 'true']);
  const no = d.wharf(['system', 'prune'], { input: 'n\n' });
  assert.equal(no.code, 0);
  assert.equal(no.stdout, question);
  assert.equal(ok(['ps', '-a', '-q', '--filter', 'name=wsp-dead']).trim().length, 12);
  const dockerNo = d.docker(['system', 'prune'], { input: 'n\n' });
  assert.equal(dockerNo.stdout, question);
  const id = ok(['inspect', '-f', '{{.Id}}', 'wsp-dead']).trim();
  ok(['network', 'create', 'wsp-net']);
  const yes = d.wharf(['system', 'prune', '-f']);
  assert.equal(yes.code, 0, yes.stderr);
  assert.equal(yes.stdout, `Deleted Containers:\n${id}\n\nDeleted Networks:\nwsp-net\n\nTotal reclaimed space: 0B\n`);
  assert.equal(ok(['system', 'prune', '-f']), 'Total reclaimed space: 0B\n');
  assert.equal(d.wharf(['system', 'prune', '-f']).stdout, 'Total reclaimed space: 0B\n');
});
