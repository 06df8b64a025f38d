import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLine } from './read-logs';

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
