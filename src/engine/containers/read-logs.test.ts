import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOG_RECORD_MAX, LogAssembler, parseLine } from './read-logs';

test('k8s-file lines parse into stream, time and text; partial lines are joined', () => {
  const partial = {};
  const e = parseLine(Buffer.from('2026-11-22T15:46:57.933709967+00:00 stderr F err'), partial);
  assert.equal(e?.stream, 'stderr');
  assert.equal(e?.time, '2026-11-22T15:46:57.933709967Z');
  assert.equal(e?.data.toString(), 'err\n');
  assert.equal(parseLine(Buffer.from('2026-11-22T15:46:57.1+00:00 stdout P abc'), partial), undefined);
  const joined = parseLine(Buffer.from('2026-11-22T15:46:57.2+00:00 stdout F def'), partial);
  assert.equal(joined?.data.toString(), 'abcdef\n');
  assert.equal(joined?.timeNanos, 1795362417200000000n);
});

const rec = (t: string, s: string, tag: string, text: string) => Buffer.from(`2026-11-22T15:46:57.${t}+00:00 ${s} ${tag} ${text}`);

test('a last line without a newline is kept, as its own record, once the log ends', () => {
  const a = new LogAssembler();
  assert.deepEqual(a.feed(rec('1', 'stdout', 'F', 'one')).map((e) => e.data.toString()), ['one\n']);
  assert.deepEqual(a.feed(rec('2', 'stdout', 'P', 'abc')), []);
  const flushed = a.flush();
  assert.deepEqual(flushed.map((e) => e.data.toString()), ['abc']);
  assert.equal(flushed[0].time, '2026-11-22T15:46:57.200000000Z');
  assert.deepEqual(a.flush(), []);
});

test('partial records are joined into lines, cut in 16 KiB records carrying the time of the first, as json-file does', () => {
  const a = new LogAssembler();
  const x = 'x'.repeat(8192);
  assert.deepEqual(a.feed(rec('1', 'stdout', 'P', x)), []);
  assert.deepEqual(a.feed(rec('2', 'stderr', 'F', 'err')).map((e) => e.data.toString()), ['err\n']);
  const first = a.feed(rec('3', 'stdout', 'P', x + 'y'));
  assert.equal(first.length, 1);
  assert.equal(first[0].data.length, LOG_RECORD_MAX);
  assert.equal(first[0].time, '2026-11-22T15:46:57.300000000Z');
  const last = a.feed(rec('4', 'stdout', 'F', 'z'));
  assert.deepEqual(last.map((e) => [e.data.toString(), e.time]), [['yz\n', '2026-11-22T15:46:57.300000000Z']]);
});
