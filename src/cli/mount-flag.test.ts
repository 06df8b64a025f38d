import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMountFlag, splitVolumeFlags } from './mount-flag';

test('--mount fields as the docker CLI reads them', () => {
  assert.deepEqual(parseMountFlag('type=volume,source=v,target=/p,readonly,volume-nocopy'), { Type: 'volume', Source: 'v', Target: '/p', ReadOnly: true, VolumeOptions: { NoCopy: true } });
  assert.deepEqual(parseMountFlag('dst=/x'), { Type: 'volume', Target: '/x' });
  assert.deepEqual(parseMountFlag('type=bind,src=/h,dst=/c,ro=false,bind-propagation=rshared'), { Type: 'bind', Source: '/h', Target: '/c', ReadOnly: false, BindOptions: { Propagation: 'rshared' } });
  assert.deepEqual(parseMountFlag('type=volume,target=/l,volume-label=a=b').VolumeOptions, { Labels: { a: 'b' } });
  assert.throws(() => parseMountFlag('type=volume,source=v'), /target is required/);
  assert.throws(() => parseMountFlag('type=volume,target=/x,bogus=1'), /unexpected key 'bogus'/);
});

test('-v: a lone path is an anonymous volume (Config.Volumes), the rest are Binds', () => {
  assert.deepEqual(splitVolumeFlags(['/data', 'name:/n', '/h:/b:ro', '/anon:ro']), { binds: ['name:/n', '/h:/b:ro', '/anon:ro'], volumes: { '/data': {} } });
});
