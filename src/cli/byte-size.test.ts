import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memSwapBytes, parseCpus, ramInBytes } from './byte-size';

test('sizes as RAMInBytes reads them', () => {
  assert.equal(ramInBytes('64m'), 64 * 1024 * 1024);
  assert.equal(ramInBytes('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes('10 KiB'), 10240);
  assert.equal(ramInBytes('512'), 512);
  assert.equal(ramInBytes('2b'), 2);
  assert.throws(() => ramInBytes('12zz'), /^Error: invalid suffix: 'zz'$/);
  assert.throws(() => ramInBytes('x'), /^Error: invalid size: 'x'$/);
  assert.throws(() => ramInBytes('-1'), /^Error: invalid size: '-1'$/);
  assert.throws(() => ramInBytes('1mbb'), /invalid suffix: 'mbb'/);
  assert.equal(memSwapBytes('-1'), -1);
});

test('--cpus: a rational number of CPUs in nano-CPUs', () => {
  assert.equal(parseCpus('1.5'), 1_500_000_000);
  assert.equal(parseCpus('0.001'), 1_000_000);
  assert.equal(parseCpus('2'), 2_000_000_000);
  assert.equal(parseCpus('1/4'), 250_000_000);
  assert.throws(() => parseCpus('abc'), /^Error: failed to parse abc as a rational number$/);
  assert.throws(() => parseCpus('0.0000000001'), /^Error: value is too precise$/);
});
