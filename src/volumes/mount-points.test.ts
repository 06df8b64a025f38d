import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MountPoint } from '../domain/events';
import { isVolumeBind, parseBind, parseVolumesFrom, resolveMountPoints, validMode, type MountInput } from './mount-points';

describe('parseBind', () => {
  test('named volume, bind, anonymous volume, modes', () => {
    assert.deepEqual(parseBind('data:/srv'), { source: 'data', destination: '/srv', mode: '', rw: true, nocopy: false, propagation: '', volume: true });
    assert.deepEqual(parseBind('/host:/srv/:ro'), { source: '/host', destination: '/srv', mode: 'ro', rw: false, nocopy: false, propagation: 'rprivate', volume: false });
    assert.deepEqual(parseBind('/srv'), { source: '', destination: '/srv', mode: '', rw: true, nocopy: false, propagation: '', volume: true });
    assert.equal(parseBind('/srv:ro').rw, false);
    assert.equal(parseBind('/srv:ro').source, '');
    assert.equal(parseBind('v:/x:nocopy,ro').nocopy, true);
    assert.equal(parseBind('/h:/x:rshared').propagation, 'rshared');
  });

  test('refuses what Docker refuses', () => {
    assert.throws(() => parseBind('a:b:c:d'), /invalid volume specification: 'a:b:c:d'/);
    assert.throws(() => parseBind('v:rel'), /mount path must be absolute/);
    assert.throws(() => parseBind('v:/x:bogus'), /invalid mode: bogus/);
    assert.throws(() => parseBind('v:/x:ro,rw'), /invalid mode: ro,rw/);
    assert.throws(() => parseBind('v:/'), /destination can't be '\/'/);
  });

  test('isVolumeBind tells volumes from host paths', () => {
    assert.equal(isVolumeBind('name:/x'), true);
    assert.equal(isVolumeBind('/x'), true);
    assert.equal(isVolumeBind('/h:/x'), false);
  });

  test('validMode and parseVolumesFrom', () => {
    assert.equal(validMode('ro,Z,rslave,nocopy'), true);
    assert.equal(validMode('ro,rw'), false);
    assert.deepEqual(parseVolumesFrom('c1'), { container: 'c1', mode: '' });
    assert.deepEqual(parseVolumesFrom('c1:ro'), { container: 'c1', mode: 'ro' });
    assert.throws(() => parseVolumesFrom('c1:zz'), /invalid mode: zz/);
  });
});

describe('resolveMountPoints', () => {
  let n = 0;
  const input = (over: Partial<MountInput>): MountInput => ({
    binds: [],
    mounts: [],
    volumesFrom: [],
    configVolumes: [],
    tmpfs: [],
    volumePath: (name) => `/vols/${name}/_data`,
    newName: () => `anon${++n}`,
    ...over,
  });

  test('-v name:/p is a named volume (Mode z), -v /h:/p a bind, Config.Volumes anonymous', () => {
    n = 0;
    const r = resolveMountPoints(input({ binds: ['data:/d', '/h:/b:ro'], configVolumes: ['/c', '/d'] }));
    assert.deepEqual(r.mounts, [
      { Type: 'volume', Name: 'data', Source: '/vols/data/_data', Destination: '/d', Driver: 'local', Mode: 'z', RW: true, Propagation: '', CopyData: true },
      { Type: 'bind', Source: '/h', Destination: '/b', Mode: 'ro', RW: false, Propagation: 'rprivate' },
      { Type: 'volume', Name: 'anon1', Source: '/vols/anon1/_data', Destination: '/c', Driver: 'local', Mode: '', RW: true, Propagation: '', Anonymous: true, CopyData: true },
    ]);
    assert.deepEqual(r.volumes.map((v) => [v.name, v.anonymous]), [['data', false], ['anon1', true]]);
  });

  test('--mount volume with nocopy, readonly, labels; anonymous without source; tmpfs', () => {
    n = 0;
    const r = resolveMountPoints(input({
      mounts: [
        { Type: 'volume', Source: 'v', Target: '/v', ReadOnly: true, VolumeOptions: { NoCopy: true, Labels: { a: 'b' } } },
        { Type: 'volume', Target: '/w' },
        { Type: 'tmpfs', Target: '/t' },
      ],
    }));
    assert.deepEqual(r.mounts[0], { Type: 'volume', Name: 'v', Source: '/vols/v/_data', Destination: '/v', Driver: 'local', Mode: '', RW: false, Propagation: '' });
    assert.equal(r.mounts[1].Name, 'anon1');
    assert.equal(r.mounts[1].Anonymous, true);
    assert.deepEqual(r.mounts[2], { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' });
    assert.deepEqual(r.volumes[0].labels, { a: 'b' });
  });

  test('duplicate destinations are refused; binds override volumes-from; :ro makes copies read-only', () => {
    assert.throws(() => resolveMountPoints(input({ binds: ['a:/x', 'b:/x'] })), /Duplicate mount point: \/x/);
    assert.throws(() => resolveMountPoints(input({ binds: ['a:/x'], mounts: [{ Type: 'volume', Source: 'b', Target: '/x' }] })), /Duplicate mount point/);
    const from: MountPoint[] = [
      { Type: 'volume', Name: 'v', Source: '/vols/v/_data', Destination: '/v', Driver: 'local', Mode: 'z', RW: true, Propagation: '', CopyData: true },
      { Type: 'bind', Source: '/h', Destination: '/b', Mode: '', RW: true, Propagation: 'rprivate' },
      { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
    ];
    const r = resolveMountPoints(input({ volumesFrom: [{ id: 'c1', mode: 'ro', mounts: from }], binds: ['other:/b'] }));
    assert.deepEqual(r.mounts, [
      { Type: 'volume', Name: 'v', Source: '/vols/v/_data', Destination: '/v', Driver: 'local', Mode: 'z', RW: false, Propagation: '', From: 'c1' },
      { Type: 'volume', Name: 'other', Source: '/vols/other/_data', Destination: '/b', Driver: 'local', Mode: 'z', RW: true, Propagation: '', CopyData: true },
    ]);
    assert.deepEqual(r.volumes.map((v) => v.name), ['other']);
  });

  test('image volumes already mounted (or tmpfs) get no anonymous volume', () => {
    const r = resolveMountPoints(input({ binds: ['/h:/data'], tmpfs: ['/run'], configVolumes: ['/data/', '/run'] }));
    assert.equal(r.mounts.length, 1);
    assert.equal(r.volumes.length, 0);
  });
});
