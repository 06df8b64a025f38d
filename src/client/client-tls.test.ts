import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { resolveHost, resolveTls } from './client';

test('TLS as the docker CLI reads its flags and environment', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-client-tls-'));
  try {
    writeFileSync(path.join(dir, 'ca.pem'), 'CA');
    // No flag, no DOCKER_TLS_VERIFY: plain.
    assert.equal(resolveTls({}, { DOCKER_CERT_PATH: dir }), undefined);
    // DOCKER_TLS_VERIFY: verify with the CA of DOCKER_CERT_PATH; a missing default cert/key is left out.
    assert.deepEqual(resolveTls({}, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir }), { verify: true, ca: Buffer.from('CA'), cert: undefined, key: undefined });
    // --tlsverify=false overrides the environment but keeps TLS on.
    assert.equal(resolveTls({ tlsverify: false }, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir })?.verify, false);
    // --tls alone: no CA needed.
    assert.equal(resolveTls({ tls: true }, { DOCKER_CERT_PATH: path.join(dir, 'none') })?.verify, false);
    assert.throws(() => resolveTls({ tlsverify: true }, { DOCKER_CERT_PATH: path.join(dir, 'none') }), { message: `unable to resolve docker endpoint: open ${path.join(dir, 'none', 'ca.pem')}: no such file or directory` });
    assert.throws(() => resolveTls({ tls: true, tlscert: path.join(dir, 'nope.pem') }, {}), /open .*nope\.pem: no such file or directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no host: the unix socket, or tcp://localhost:2376 with TLS', () => {
  assert.equal(resolveHost(undefined, {}), 'unix:///var/run/wharf.sock');
  assert.equal(resolveHost(undefined, {}, true), 'tcp://localhost:2376');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'tcp://h:1' }, true), 'tcp://h:1');
});
