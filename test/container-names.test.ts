import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, daemonForFile } from './helpers/wharfd';

// Generated names under concurrent creates: Docker generates again when a name is taken
// meanwhile; a client never sees a conflict for a name it did not ask for.
const d = daemonForFile();

test('300 creates without a name, 16 at a time, all succeed with distinct names', async () => {
  const body = JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  const failures: string[] = [];
  let left = 300;
  const worker = async () => {
    while (left > 0) {
      left--;
      const r = await api(d.sock, 'POST', '/containers/create', body, { 'Content-Type': 'application/json' });
      if (r.status !== 201) failures.push(`${r.status} ${r.body}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  assert.deepEqual(failures, []);
  const names = d.docker(['ps', '-a', '--format', '{{.Names}}']).stdout.split('\n').filter(Boolean);
  assert.equal(names.length, 300);
  assert.equal(new Set(names).size, 300);
  // A name the client chose still conflicts, with Docker's message.
  const taken = names[0];
  const r = d.docker(['create', '--name', taken, 'busybox', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`Conflict. The container name "/${taken}" is already in use by container`));
});
