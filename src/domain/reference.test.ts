import assert from 'node:assert/strict';
import { test } from 'node:test';
import { familiarString, normaliseTag, parseReference } from './reference';

test('references normalise as Docker does', () => {
  assert.equal(normaliseTag('busybox'), 'busybox:latest');
  assert.equal(normaliseTag('library/busybox:1.36'), 'busybox:1.36');
  assert.equal(normaliseTag('localhost:5000/team/app:v1'), 'localhost:5000/team/app:v1');
  assert.deepEqual(parseReference('busybox'), { domain: 'docker.io', path: 'library/busybox', tag: undefined, digest: undefined });
  assert.equal(familiarString(parseReference('quay.io/a/b@sha256:' + 'a'.repeat(64))), 'quay.io/a/b@sha256:' + 'a'.repeat(64));
});

test('invalid references are refused with Docker\'s message', () => {
  for (const bad of ['', 'Busy Box', 'busybox:', ':tag', 'a//b', 'busybox:bad tag']) {
    assert.throws(() => parseReference(bad), /invalid reference format/, bad);
  }
});
