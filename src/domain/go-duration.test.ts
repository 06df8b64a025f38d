import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGoDuration } from './go-duration';

test('Go durations in nanoseconds, with time.ParseDuration\'s errors', () => {
  assert.equal(parseGoDuration('1s'), 1e9);
  assert.equal(parseGoDuration('500ms'), 5e8);
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('1.5h'), 5400e9);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('-2us'), -2000);
  assert.throws(() => parseGoDuration('1'), /^Error: time: missing unit in duration "1"$/);
  assert.throws(() => parseGoDuration('1x'), /^Error: time: unknown unit "x" in duration "1x"$/);
  assert.throws(() => parseGoDuration('x'), /^Error: time: invalid duration "x"$/);
});
