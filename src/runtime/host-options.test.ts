import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_CAPS, DEFAULT_CAPS, hostOptions, parseBoundingCaps, parseHostHardLimits } from './host-options';

const host = { hard: { RLIMIT_NOFILE: 20000, RLIMIT_NPROC: 96365 }, caps: ALL_CAPS.filter((c) => c !== 'CAP_SYS_RESOURCE') };

test('limits translate to OCI resources as Docker does', () => {
  const o = hostOptions({ Memory: 64 << 20, CpuShares: 512, NanoCpus: 1.5e9, PidsLimit: 50 }, host);
  assert.deepEqual(o.resources.memory, { limit: 64 << 20, swap: 128 << 20 });
  assert.deepEqual(o.resources.cpu, { shares: 512, period: 100000, quota: 150000 });
  assert.deepEqual(o.resources.pids, { limit: 50 });
  assert.throws(() => hostOptions({ Memory: 1 << 20 }, host), /Minimum memory limit allowed is 6MB/);
});

test('capabilities: defaults, add, drop, privileged within what the daemon holds', () => {
  assert.deepEqual(hostOptions({}, host).capabilities, DEFAULT_CAPS);
  assert.ok(!hostOptions({ CapDrop: ['net_raw'] }, host).capabilities.includes('CAP_NET_RAW'));
  assert.deepEqual(hostOptions({ CapDrop: ['ALL'], CapAdd: ['CHOWN'] }, host).capabilities, ['CAP_CHOWN']);
  assert.deepEqual(hostOptions({ Privileged: true }, host).capabilities, host.caps);
  assert.throws(() => hostOptions({ CapAdd: ['SYS_RESOURCE'] }, host), /not available to the daemon/);
  assert.throws(() => hostOptions({ CapAdd: ['BOGUS'] }, host), /unknown capability: "CAP_BOGUS"/);
});

test('ulimits never exceed the host hard limit; nofile is clamped by default', () => {
  assert.deepEqual(hostOptions({}, host).rlimits, [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]);
  assert.throws(() => hostOptions({ Ulimits: [{ Name: 'nofile', Soft: 30000, Hard: 30000 }] }, host), /above the host's hard limit 20000/);
  assert.throws(() => hostOptions({ Ulimits: [{ Name: 'nofile', Soft: 3, Hard: 2 }] }, host), /soft limit must be less than or equal to hard limit/);
});

test('binds and tmpfs become mounts; bad specs are refused', () => {
  const o = hostOptions({ Binds: ['/srv:/data:ro'], Tmpfs: { '/run': 'size=1m' } }, host, { createBindSources: false });
  assert.deepEqual(o.mounts[0], { destination: '/data', type: 'bind', source: '/srv', options: ['rbind', 'ro'] });
  assert.equal(o.mounts[1].type, 'tmpfs');
  assert.throws(() => hostOptions({ Binds: ['/srv:rel'] }, host), /invalid volume specification/);
  // Volumes (named, or anonymous as '/srv') are mounted by the engine, not here.
  assert.deepEqual(hostOptions({ Binds: ['/srv', 'name:/data'], Mounts: [{ Type: 'volume', Target: '/v' }] }, host, { createBindSources: false }).mounts, []);
});

test('host facts parse from /proc', () => {
  assert.equal(parseHostHardLimits('Max open files            1024                 20000                files     \n').RLIMIT_NOFILE, 20000);
  assert.deepEqual(parseBoundingCaps('CapBnd:\t0000000000000003\n'), ['CAP_CHOWN', 'CAP_DAC_OVERRIDE']);
});
