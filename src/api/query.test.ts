import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isWharfError } from '../domain/errors';
import { unixTimeQuery } from './query';

// /events' since and until as dockerd reads them (measured on dockerd 20.10.24; the same
// ParseTimestamps and eventTime in 28.5.2): what the docker CLI sends, and what it never does.
test('since/until: seconds, seconds with any fraction, none', () => {
  assert.equal(unixTimeQuery('1700000000'), 1_700_000_000_000_000_000n);
  assert.equal(unixTimeQuery('1700000000.123456789'), 1_700_000_000_123_456_789n);
  assert.equal(unixTimeQuery('1700000000.5'), 1_700_000_000_500_000_000n);
  assert.equal(unixTimeQuery('1700000000.000000001'), 1_700_000_000_000_000_001n);
  // More than nine digits are cut, not rounded.
  assert.equal(unixTimeQuery('1700000000.1234567899'), 1_700_000_000_123_456_789n);
  assert.equal(unixTimeQuery('0'), 0n);
  assert.equal(unixTimeQuery('-5'), -5_000_000_000n);
  // "" and seconds -1 are dockerd's "not given".
  assert.equal(unixTimeQuery(''), undefined);
  assert.equal(unixTimeQuery(undefined), undefined);
  assert.equal(unixTimeQuery('-1'), undefined);
});

test('since/until: anything else is refused with a 500 and strconv\'s text, as dockerd does', () => {
  for (const [v, message] of [
    ['abc', 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ['10m', 'strconv.ParseInt: parsing "10m": invalid syntax'],
    ['2023-11-14T22:13:20Z', 'strconv.ParseInt: parsing "2023-11-14T22:13:20Z": invalid syntax'],
    ['5.x', 'strconv.ParseInt: parsing "x": invalid syntax'],
    ['5.', 'strconv.ParseInt: parsing "": invalid syntax'],
    ['12345678901234567890', 'strconv.ParseInt: parsing "12345678901234567890": value out of range'],
    ['5.12345678901234567890', 'strconv.ParseInt: parsing "12345678901234567890": value out of range'],
  ]) {
    assert.throws(() => unixTimeQuery(v), (e) => isWharfError(e) && e.kind === 'internal' && e.message === message, v);
  }
});
