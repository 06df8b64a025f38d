import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeQuery, encodeResponse, parseMessage, rcodeOf, RCODE_NXDOMAIN, TYPE_A, TYPE_AAAA } from './dns-message';

test('a query round-trips: id, recursion desired, the question', () => {
  const m = parseMessage(encodeQuery(0x1234, 'web.example', TYPE_AAAA));
  assert.equal(m.id, 0x1234);
  assert.equal(m.flags & 0x0100, 0x0100);
  assert.deepEqual(m.questions, [{ name: 'web.example', type: TYPE_AAAA, class: 1 }]);
});

test('a response carries the question, A answers and the rcode', () => {
  const q = parseMessage(encodeQuery(7, 'web'));
  const r = parseMessage(encodeResponse(q, 0, [{ name: 'web', type: TYPE_A, class: 1, ttl: 600, data: '10.1.2.3' }]));
  assert.equal(r.id, 7);
  assert.equal(r.flags & 0x8000, 0x8000);
  assert.equal(rcodeOf(r), 0);
  assert.deepEqual(r.questions, q.questions);
  assert.deepEqual(r.answers, [{ name: 'web', type: TYPE_A, class: 1, ttl: 600, data: '10.1.2.3' }]);
  assert.equal(rcodeOf(parseMessage(encodeResponse(q, RCODE_NXDOMAIN, []))), RCODE_NXDOMAIN);
});

test('compressed names are followed; loops and truncation are errors', () => {
  const q = encodeQuery(1, 'a.b');
  // An answer whose name points back at the question's name (offset 12).
  const ans = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2, 3, 4]);
  const msg = Buffer.concat([q, ans]);
  msg.writeUInt16BE(1, 6);
  assert.deepEqual(parseMessage(msg).answers[0], { name: 'a.b', type: 1, class: 1, ttl: 5, data: '1.2.3.4' });
  const loop = Buffer.concat([q.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
  assert.throws(() => parseMessage(loop));
  assert.throws(() => parseMessage(q.subarray(0, 15)));
  assert.throws(() => parseMessage(Buffer.alloc(5)));
});

test('a query with an EDNS record (as dig and glibc send) is read: its question, its flags as sent', () => {
  const q = encodeQuery(3, 'web', TYPE_AAAA);
  q.writeUInt16BE(0x0120, 2); // RD and AD
  q.writeUInt16BE(1, 10);
  const opt = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 12, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
  const m = parseMessage(Buffer.concat([q, opt]));
  assert.equal(m.flags, 0x0120);
  assert.deepEqual(m.questions, [{ name: 'web', type: TYPE_AAAA, class: 1 }]);
  assert.deepEqual(m.answers, []);
  // The answer: QR, RD and RA set, AD not echoed, no additional record.
  const r = encodeResponse(m, 0, []);
  assert.equal(r.readUInt16BE(2), 0x8180);
  assert.equal(r.readUInt16BE(10), 0);
});
