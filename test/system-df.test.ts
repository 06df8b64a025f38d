import assert from 'node:assert/strict';
import { test } from 'node:test';
import { daemonForFile } from './helpers/wharfd';

// docker system df with the real docker CLI: images, containers and volumes, their sizes and use.
const d = daemonForFile();
const ok = (args: string[]) => d.dockerOk(args);

test('system df counts images, containers and volumes with their sizes', () => {
  ok(['run', '--name', 'dfer', '-v', 'dfvol:/data', 'busybox', 'sh', '-c', 'head -c 300000 /dev/zero > /data/z; head -c 200000 /dev/zero > /f']);
  const rows = ok(['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}']).trim().split('\n');
  assert.deepEqual(rows.slice(0, 3).map((r) => r.split('|').slice(0, 3).join('|')), ['Images|1|1', 'Containers|1|0', 'Local Volumes|1|1']);
  assert.match(rows[1], /\|200kB$/);
  assert.match(rows[2], /\|300kB$/);
  const v = ok(['system', 'df', '-v', '--format', '{{json .}}']);
  assert.match(v, /"dfvol"/);
});
