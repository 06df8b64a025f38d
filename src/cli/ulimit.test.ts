import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUlimit, ulimitList } from './ulimit';

test('--ulimit name=soft[:hard], one per name, sorted', () => {
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { Name: 'nofile', Hard: 2048, Soft: 1024 });
  assert.deepEqual(parseUlimit('nproc=50'), { Name: 'nproc', Hard: 50, Soft: 50 });
  assert.deepEqual(ulimitList(['nproc=1', 'core=2', 'nproc=3']).map((u) => `${u.Name}=${u.Soft}`), ['core=2', 'nproc=3']);
  assert.throws(() => parseUlimit('nofile=2:1'), /soft limit must be less than or equal to hard limit: 2 > 1/);
  assert.throws(() => parseUlimit('bad=1'), /^Error: invalid ulimit type: bad$/);
  assert.throws(() => parseUlimit('nofile'), /^Error: invalid ulimit argument: nofile$/);
  assert.throws(() => parseUlimit('nofile=x'), /strconv.ParseInt: parsing "x": invalid syntax/);
});
