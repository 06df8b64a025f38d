import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePortSpecs } from './port-spec';

test('-p forms become ExposedPorts and PortBindings as the docker CLI builds them', () => {
  const r = parsePortSpecs(['8080:80', '127.0.0.1:9000-9001:90-91/udp', '127.0.0.1::53', '7000', '[::1]:99:99', 'published=81,target=82'], ['5000-5001', '6000/udp']);
  assert.deepEqual(r.bindings, {
    '80/tcp': [{ HostIp: '', HostPort: '8080' }],
    '90/udp': [{ HostIp: '127.0.0.1', HostPort: '9000' }],
    '91/udp': [{ HostIp: '127.0.0.1', HostPort: '9001' }],
    '53/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    '7000/tcp': [{ HostIp: '', HostPort: '' }],
    '99/tcp': [{ HostIp: '::1', HostPort: '99' }],
    '82/tcp': [{ HostIp: '', HostPort: '81' }],
  });
  assert.deepEqual(Object.keys(r.exposed).sort(), ['5000/tcp', '5001/tcp', '53/tcp', '6000/udp', '7000/tcp', '80/tcp', '82/tcp', '90/udp', '91/udp', '99/tcp']);
  assert.deepEqual(parsePortSpecs(['8000-8001:80']).bindings, { '80/tcp': [{ HostIp: '', HostPort: '8000-8001' }] });
});

test('-p and --expose errors carry nat\'s text', () => {
  assert.throws(() => parsePortSpecs(['abc']), /^Error: invalid containerPort: abc$/);
  assert.throws(() => parsePortSpecs(['1-3:4-5']), /invalid ranges specified for container and host Ports: 4-5 and 1-3/);
  assert.throws(() => parsePortSpecs(['5:6-7']), /invalid ranges specified for container and host Ports: 6-7 and 5/);
  assert.throws(() => parsePortSpecs(['1.2.3:80:80']), /invalid IP address: 1.2.3/);
  assert.throws(() => parsePortSpecs(['80/xyz']), /invalid proto: xyz/);
  assert.throws(() => parsePortSpecs([], ['1:2']), /invalid port format for --expose: 1:2/);
  assert.throws(() => parsePortSpecs([], ['x']), /invalid range format for --expose: x, error: strconv.ParseUint: parsing "x": invalid syntax/);
});
