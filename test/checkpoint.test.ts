import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { api, eventually, TestDaemon } from './helpers/wharfd';

// Projection checkpoints across a kill -9: boot starts from the checkpoint and replays only the
// records after it; the views are those of a full replay. A damaged checkpoint is ignored.
const d = new TestDaemon();
// A checkpoint every 5 records, none by time: the last few records are a tail to replay.
const ENV = { WHARF_CHECKPOINT_RECORDS: '5', WHARF_CHECKPOINT_MS: '600000' };
const file = () => path.join(d.dataRoot, 'views.checkpoint');
const headerOf = () => JSON.parse(readFileSync(file(), 'utf8').split('\n')[0]) as { seq: string; hash: string };

before(async () => {
  await d.start([], ENV);
  d.importBusybox();
});
after(async () => {
  await d.cleanup();
});

function observed(): string {
  return [
    d.dockerOk(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.State}} {{.Labels}} {{.Mounts}}']),
    // Sorted: the docker CLI groups one image's tags by repository in a Go map, so their rows come in any order.
    d.dockerOk(['images', '-a', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}']).split('\n').sort().join('\n'),
    d.dockerOk(['volume', 'ls', '--format', '{{.Name}} {{.Labels}}']),
    JSON.stringify(JSON.parse(d.dockerOk(['inspect', 'one', 'two', 'gone-soon-renamed']))),
  ].join('\n---\n');
}

async function verify(): Promise<{ ViewsMatch: boolean; Intact: boolean; Acknowledged: { Seq: string } }> {
  return JSON.parse((await api(d.sock, 'GET', '/wharf/v1/journal/verify')).body);
}

test('kill -9, restart: the views come from the checkpoint and the tail, identical to before', async () => {
  d.dockerOk(['create', '--name', 'one', '-l', 'k=v', 'busybox', 'true']);
  assert.equal(d.docker(['run', '--name', 'two', 'busybox', 'sh', '-c', 'exit 3']).code, 3);
  d.dockerOk(['create', '--name', 'gone-soon', 'busybox', 'true']);
  d.dockerOk(['rename', 'gone-soon', 'gone-soon-renamed']);
  d.dockerOk(['create', '--name', 'removed', 'busybox', 'true']);
  d.dockerOk(['rm', 'removed']);
  d.dockerOk(['tag', 'busybox', 'mine/box:1']);
  d.dockerOk(['tag', 'busybox', 'mine/box:2']);
  d.dockerOk(['rmi', 'mine/box:2']);
  d.dockerOk(['volume', 'create', '--label', 'a=b', 'data1']);
  await eventually(() => existsSync(file()), 10_000, 'a checkpoint');
  // More history after it, so that some records are replayed on top of it.
  d.dockerOk(['tag', 'busybox', 'mine/box:3']);
  d.dockerOk(['volume', 'create', 'data2']);
  const before = observed();
  // The head once the daemon is quiet (a stop or exit can settle a record or two after the CLI returns).
  let acked = BigInt((await verify()).Acknowledged.Seq);
  for (let settled = false, tries = 0; !settled && tries < 20; tries++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = BigInt((await verify()).Acknowledged.Seq);
    settled = now === acked;
    acked = now;
  }
  // Wait for the checkpoint of the last full group of 5, whatever it is.
  await eventually(() => BigInt(headerOf().seq) > acked - 5n, 10_000, 'the checkpoint to catch up');
  const at = BigInt(headerOf().seq);
  assert.ok(at <= acked);

  await d.kill9();
  d.log = '';
  await d.start([], ENV);
  assert.match(d.log, new RegExp(`starting from the views checkpoint at record ${at}`));
  const replayed = /"records":(\d+),"fromCheckpoint":"(\d+)"[^\n]*journal replayed/.exec(d.log);
  assert.ok(replayed, d.log);
  assert.equal(BigInt(replayed[1]), acked - at, 'only the records after the checkpoint were read');
  const afterBoot = observed();
  const a = before.split(/(?<=,)/);
  const b = afterBoot.split(/(?<=,)/);
  const i = a.findIndex((x, k) => x !== b[k]);
  assert.ok(afterBoot === before, `docker ps -a, images, volume ls and inspect differ after the restart: before ${a.slice(i, i + 3).join('')} / after ${b.slice(i, i + 3).join('')}`);
  const v = await verify();
  assert.equal(v.Intact, true);
  assert.equal(v.ViewsMatch, true);

  // And it goes on: the restarted daemon records, and checkpoints, as before.
  assert.equal(d.docker(['start', '-a', 'one']).code, 0);
  assert.equal((await verify()).ViewsMatch, true);
});

test('a damaged checkpoint is ignored: full replay, with a log line, same views', async () => {
  await d.stop(); // a graceful stop writes a last checkpoint, at the head
  const acked = BigInt(headerOf().seq);
  const text = readFileSync(file(), 'utf8');
  const i = text.indexOf('"one"');
  assert.ok(i > 0);
  writeFileSync(file(), `${text.slice(0, i)}"One"${text.slice(i + 5)}`);
  d.log = '';
  await d.start([], ENV);
  assert.match(d.log, /ignoring the views checkpoint: its checksum does not match its content; replaying the whole journal/);
  const replayed = /"records":(\d+),"trimmed"[^\n]*journal replayed/.exec(d.log);
  assert.ok(replayed, d.log);
  assert.equal(BigInt(replayed[1]), acked, 'the whole journal read');
  assert.doesNotMatch(d.log, /starting from the views checkpoint/);
  assert.match(d.dockerOk(['ps', '-a', '--format', '{{.Names}}']), /^one$/m);
  const v = await verify();
  assert.equal(v.Intact, true);
  assert.equal(v.ViewsMatch, true);
});

test('a graceful stop leaves a checkpoint at the head: the next boot replays nothing', async () => {
  await d.stop();
  d.log = '';
  await d.start([], ENV);
  assert.match(d.log, /"records":0,"fromCheckpoint"/);
  assert.equal((await verify()).ViewsMatch, true);
});
