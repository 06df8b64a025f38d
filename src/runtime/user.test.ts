import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveUser } from './user';

const passwd = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n';
const group = 'root:x:0:\nwheel:x:10:root\nnogroup:x:65534:\n';

test('names resolve from the image\'s passwd and group files', () => {
  assert.deepEqual(resolveUser('', passwd, group), { uid: 0, gid: 0, additionalGids: [10] });
  assert.deepEqual(resolveUser('nobody', passwd, group), { uid: 65534, gid: 65534, additionalGids: [] });
  assert.deepEqual(resolveUser('nobody:wheel', passwd, group), { uid: 65534, gid: 10, additionalGids: [] });
  assert.deepEqual(resolveUser('1234:5', passwd, group), { uid: 1234, gid: 5, additionalGids: [] });
});

test('an unknown user is refused with Docker\'s message', () => {
  assert.throws(() => resolveUser('alice', passwd, group), /unable to find user alice: no matching entries in passwd file/);
  assert.throws(() => resolveUser('root:staff', passwd, group), /unable to find group staff/);
});
