import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WharfError } from './errors';
import { allocateIp6, formatIp6, ip6Bytes, parseCidr6, parseIp6 } from './ipv6';

test('IPv6 text: parsed in its forms, printed as Go prints it (RFC 5952)', () => {
  for (const [text, canon] of [
    ['fd00:77::1', 'fd00:77::1'], ['FD00:0077:0:0:0:0:0:1', 'fd00:77::1'], ['::', '::'], ['::1', '::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], ['::ffff:10.1.2.3', '::ffff:a01:203'],
  ]) assert.equal(formatIp6(parseIp6(text)!), canon, text);
  for (const bad of ['zz', '1.2.3.4', 'fd00::1::2', '1:2:3:4:5:6:7:8:9', '12345::', 'fd00:77:zz::', ':::']) assert.equal(parseIp6(bad), undefined, bad);
  assert.equal(ip6Bytes('fd00::2').toString('hex'), 'fd000000000000000000000000000002');
});

test('subnets keep the text given; allocation is the lowest free address, not the gateway, or the one asked for', () => {
  const s = parseCidr6('fd00:77:c::1/64')!;
  assert.equal(s.text, 'fd00:77:c::1/64');
  assert.equal(formatIp6(s.base), 'fd00:77:c::');
  assert.equal(parseCidr6('fd00::/129'), undefined);
  assert.equal(allocateIp6(s, 'fd00:77:c::1', new Set()), 'fd00:77:c::2');
  assert.equal(allocateIp6(s, 'fd00:77:c::fe', new Set(['fd00:77:c::1', 'fd00:77:c:0::2'])), 'fd00:77:c::3');
  assert.equal(allocateIp6(s, 'fd00:77:c::1', new Set(), 'FD00:77:C::F00D'), 'fd00:77:c::f00d');
  const refuse = (fn: () => unknown, msg: RegExp) => assert.throws(fn, (e: WharfError) => msg.test(e.message));
  refuse(() => allocateIp6(s, 'fd00:77:c::1', new Set(['fd00:77:c::9']), 'fd00:77:c::9'), /^Address already in use$/);
  refuse(() => allocateIp6(s, 'fd00:77:c::1', new Set(), 'fd00:77:d::9'), /^Invalid address fd00:77:d::9: It does not belong to any of this network's subnets$/);
  const tiny = parseCidr6('fd00::/127')!;
  refuse(() => allocateIp6(tiny, 'fd00::1', new Set()), /no available IPv6 addresses/);
});
