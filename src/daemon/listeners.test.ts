import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listenerConfig } from './listener-flags';
import { parseBoolFlag, parseDaemonHost, tlsSettings } from './listeners';

test('-H forms normalize as dockerd opts.ParseHost', () => {
  assert.equal(parseDaemonHost('unix:///run/x.sock'), 'unix:///run/x.sock');
  assert.equal(parseDaemonHost('unix://'), 'unix:///var/run/wharf.sock');
  assert.equal(parseDaemonHost('/run/x.sock'), 'unix:///run/x.sock');
  assert.equal(parseDaemonHost('tcp://127.0.0.1:2376'), 'tcp://127.0.0.1:2376');
  assert.equal(parseDaemonHost('tcp://0.0.0.0'), 'tcp://0.0.0.0:2375');
  assert.equal(parseDaemonHost('127.0.0.1:4243'), 'tcp://127.0.0.1:4243');
  assert.equal(parseDaemonHost(':4243'), 'tcp://localhost:4243');
  assert.equal(parseDaemonHost('tcp://[::1]:2376'), 'tcp://[::1]:2376');
  assert.equal(parseDaemonHost('fd://'), 'fd://');
  assert.equal(parseDaemonHost('fd://3'), 'fd://3');
  assert.equal(parseDaemonHost(''), 'unix:///var/run/wharf.sock');
  assert.equal(parseDaemonHost('', true), 'tcp://localhost:2376');
  assert.throws(() => parseDaemonHost('udp://1.2.3.4:5'), { message: "invalid bind address (udp://1.2.3.4:5): unsupported proto 'udp'" });
  assert.throws(() => parseDaemonHost('tcp://1.2.3.4:5/path'), { message: 'invalid bind address (tcp://1.2.3.4:5/path): should not contain a path element' });
  assert.throws(() => parseDaemonHost('tcp://1.2.3.4:http'), { message: 'invalid bind address (tcp://1.2.3.4:http): invalid port "http"' });
});

test('--tlsverify given at all turns TLS on; --tls=false or --tlsverify=false is the explicit opt-out', () => {
  const env = { DOCKER_CERT_PATH: '/certs' };
  assert.deepEqual(tlsSettings({}, env), { enabled: false, verify: false, explicitlyOff: false, caCert: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem' });
  assert.equal(tlsSettings({ tlsVerify: true }, env).enabled, true);
  assert.equal(tlsSettings({ tlsVerify: true }, env).verify, true);
  assert.deepEqual(tlsSettings({ tlsVerify: false }, env), { ...tlsSettings({}, env), enabled: true, explicitlyOff: true });
  assert.deepEqual(tlsSettings({ tls: false }, env), { ...tlsSettings({}, env), explicitlyOff: true });
  assert.equal(tlsSettings({ tls: true }, env).verify, false);
  assert.equal(tlsSettings({ cert: '/x/c.pem' }, env).cert, '/x/c.pem');
  assert.equal(tlsSettings({}, { DOCKER_CONFIG: '/cfg' }).caCert, '/cfg/ca.pem');
});

test('boolean flags read as pflag reads them', () => {
  assert.equal(parseBoolFlag('tls', 'false'), false);
  assert.equal(parseBoolFlag('tls', '1'), true);
  assert.equal(parseBoolFlag('tls', true), true);
  assert.equal(parseBoolFlag('tls', undefined), undefined);
  assert.throws(() => parseBoolFlag('tls', 'yes'), { message: 'invalid argument "yes" for "--tls" flag: strconv.ParseBool: parsing "yes": invalid syntax' });
});

test('no -H: the unix socket, or tcp://localhost:2376 with TLS; --api-enable-cors is origin "*"', () => {
  assert.deepEqual(listenerConfig({ host: [] }).hosts, ['unix:///var/run/wharf.sock']);
  assert.deepEqual(listenerConfig({ host: [], tlsverify: true }).hosts, ['tcp://localhost:2376']);
  assert.deepEqual(listenerConfig({ host: ['fd://'] }).hosts, ['fd://']);
  assert.equal(listenerConfig({ host: [] }).corsHeaders, undefined);
  assert.equal(listenerConfig({ host: [], apiEnableCors: true }).corsHeaders, '*');
  assert.equal(listenerConfig({ host: [], apiEnableCors: true, apiCorsHeader: 'https://a.example' }).corsHeaders, 'https://a.example');
  assert.equal(listenerConfig({ host: [] }).socketGroup, 'docker');
});
