import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeChanges, type UpperEntry } from './changes';

const e = (rel: string, o: Partial<UpperEntry> = {}): UpperEntry => ({ rel, whiteout: false, opaque: false, inLower: false, ...o });

test('docker diff: a whiteout is D, a path in the layers is C, a new one A; parents are C', () => {
  assert.deepEqual(
    computeChanges([
      e('etc', { inLower: true }),
      e('etc/nsswitch.conf', { whiteout: true, inLower: true }),
      e('etc/passwd', { inLower: true }),
      e('new'),
      e('new/f'),
      e('tmp', { inLower: true }),
      e('tmp/added'),
    ]).map((c) => `${'CAD'[c.Kind]} ${c.Path}`),
    ['C /etc', 'D /etc/nsswitch.conf', 'C /etc/passwd', 'A /new', 'A /new/f', 'C /tmp', 'A /tmp/added'],
  );
});

test('an opaque directory that replaced one of the layers is D, its entries A (as Docker\'s overlay driver)', () => {
  assert.deepEqual(
    computeChanges([e('var', { opaque: true, inLower: true }), e('var/x'), e('fresh', { opaque: true })]).map((c) => `${'CAD'[c.Kind]} ${c.Path}`),
    ['D /var', 'A /var/x', 'A /fresh'],
  );
});
