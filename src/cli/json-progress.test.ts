import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { displayJsonMessages, goDurationSeconds, humanSize4, JsonMessageRenderer, JsonStreamError, progressString, type JsonStreamMessage } from './json-progress';

const PULL: JsonStreamMessage[] = [
  { status: 'Pulling from a/b', progressDetail: {}, id: 'v1' },
  { status: 'Pulling fs layer', progressDetail: {}, id: 'L1' },
  { status: 'Downloading', progressDetail: { current: 500000, total: 1000000 }, progress: '[==>  ]', id: 'L1' },
  { status: 'Download complete', progressDetail: {}, id: 'L1' },
  { status: 'Digest: sha256:abc' },
  { status: 'Status: Downloaded newer image for 127.0.0.1:5000/a/b:v1' },
];

async function show(msgs: JsonStreamMessage[], isTerminal: boolean, width = 80): Promise<{ out: string; error?: unknown }> {
  let out = '';
  try {
    await displayJsonMessages(Readable.from(msgs.map((m) => `${JSON.stringify(m)}\n`)), { write: (s) => (out += s) }, { isTerminal, width });
    return { out };
  } catch (error) {
    return { out, error };
  }
}

test('off a terminal: each status line plainly, progress-bar updates left out', async () => {
  const { out, error } = await show(PULL, false);
  assert.equal(error, undefined);
  assert.equal(out, 'v1: Pulling from a/b\nL1: Pulling fs layer\nL1: Download complete\nDigest: sha256:abc\nStatus: Downloaded newer image for 127.0.0.1:5000/a/b:v1\n');
});

test('on a terminal: one line per id, redrawn with cursor moves and erase-line', async () => {
  const { out } = await show(PULL.slice(0, 5), true);
  const E = '\x1b[';
  assert.equal(
    out,
    [
      `\n${E}1A${E}2K\rv1: Pulling from a/b \r${E}1B`,
      `\n${E}1A${E}2K\rL1: Pulling fs layer \r${E}1B`,
      `${E}1A${E}2K\rL1: Downloading    500kB/1MB\r${E}1B`,
      `${E}1A${E}2K\rL1: Download complete \r${E}1B`,
      'Digest: sha256:abc\n',
    ].join(''),
  );
});

test('on a terminal, the first of two ids is two lines up', () => {
  const r = new JsonMessageRenderer({ isTerminal: true, width: 80 });
  r.render({ status: 'Waiting', progressDetail: {}, id: 'a' });
  r.render({ status: 'Waiting', progressDetail: {}, id: 'b' });
  assert.equal(r.render({ status: 'Pull complete', progressDetail: {}, id: 'a' }), '\x1b[2A\x1b[2K\ra: Pull complete \r\x1b[2B');
  // A line without an id starts a new block: the next id is a new line again.
  assert.equal(r.render({ status: 'Digest: x' }), 'Digest: x\n');
  assert.equal(r.render({ status: 'Waiting', progressDetail: {}, id: 'a' }), '\n\x1b[1A\x1b[2K\ra: Waiting \r\x1b[1B');
});

test('an errorDetail ends the stream with its message; what came before is shown', async () => {
  const { out, error } = await show([{ status: 'The push refers to repository [x/y]' }, { errorDetail: { message: 'no basic auth credentials' }, error: 'no basic auth credentials' }, { status: 'never shown' }], false);
  assert.equal(out, 'The push refers to repository [x/y]\n');
  assert.ok(error instanceof JsonStreamError);
  assert.equal((error as Error).message, 'no basic auth credentials');
});

test('aux messages go to the callback, stream messages print as they are', async () => {
  const aux: unknown[] = [];
  let out = '';
  const msgs = [{ status: 'v1: digest: sha256:x size: 527' }, { progressDetail: {}, aux: { Tag: 'v1', Digest: 'sha256:x', Size: 527 } }, { stream: 'Loaded image: busybox:latest\n' }];
  await displayJsonMessages(Readable.from([msgs.map((m) => JSON.stringify(m)).join('\n')]), { write: (s) => (out += s) }, { isTerminal: false, onAux: (m) => aux.push(m.aux) });
  assert.equal(out, 'v1: digest: sha256:x size: 527\nLoaded image: busybox:latest\n');
  assert.deepEqual(aux, [{ Tag: 'v1', Digest: 'sha256:x', Size: 527 }]);
});

test('messages split across chunks are put back together', async () => {
  let out = '';
  const text = `${JSON.stringify({ status: 'Pulling fs layer', progressDetail: {}, id: 'abc' })}\n${JSON.stringify({ status: 'done' })}\n`;
  await displayJsonMessages(Readable.from([text.slice(0, 7), text.slice(7, 40), text.slice(40)]), { write: (s) => (out += s) }, { isTerminal: false });
  assert.equal(out, 'abc: Pulling fs layer\ndone\n');
});

test('the progress text: bar above 110 columns, counts, units, time left', () => {
  assert.equal(progressString({}, 200), '');
  assert.equal(progressString({ current: 500000, total: 1000000 }, 80), '   500kB/1MB');
  assert.equal(progressString({ current: 500000, total: 1000000 }, 120), `[${'='.repeat(25)}>${' '.repeat(25)}]    500kB/1MB`);
  assert.equal(progressString({ current: 1000000, total: 1000000 }, 120), `[${'='.repeat(50)}>]      1MB/1MB`);
  assert.equal(progressString({ current: 2000, total: 1000 }, 120), `[${'='.repeat(50)}>]      2kB`);
  assert.equal(progressString({ current: 1234567 }, 120), ' 1.235MB');
  assert.equal(progressString({ current: 3, total: 10, units: 'layers' }, 80), '3/10 layers');
  assert.equal(progressString({ current: 3, total: 10, hidecounts: true }, 80), '');
  const now = 1_700_000_010_000;
  assert.equal(progressString({ current: 500000, total: 1000000, start: 1_700_000_000 }, 80, now), '   500kB/1MB 10s');
  assert.equal(progressString({ current: 100, total: 1000000, start: 1_700_000_000 }, 80, now), '    100B/1MB 27h46m30s');
});

test('sizes and durations as go-units and Go print them', () => {
  assert.equal(humanSize4(0), '0B');
  assert.equal(humanSize4(999), '999B');
  assert.equal(humanSize4(2140160), '2.14MB');
  assert.equal(humanSize4(12_345_678), '12.35MB');
  assert.equal(goDurationSeconds(0), '0s');
  assert.equal(goDurationSeconds(65), '1m5s');
  assert.equal(goDurationSeconds(3601), '1h0m1s');
});
