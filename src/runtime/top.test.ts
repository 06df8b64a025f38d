import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePsOutput, validatePsArgs } from './top';

const PS = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init splash
root         812     790  0 10:01 ?        00:00:00 sleep 1000
root         900     812  0 10:02 ?        00:00:00 sh -c echo a   b
`;

test('ps rows of the container only; the command keeps its spaces', () => {
  const r = parsePsOutput(PS, new Set([812, 900]));
  assert.deepEqual(r.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(r.Processes, [
    ['root', '812', '790', '0', '10:01', '?', '00:00:00', 'sleep 1000'],
    ['root', '900', '812', '0', '10:02', '?', '00:00:00', 'sh -c echo a b'],
  ]);
});

test('thread rows ("-" pid) follow their process; a PID column is required', () => {
  const m = 'PID TTY TIME CMD\n812 ? 00:00:00 sleep\n- - 00:00:00 -\n1 ? 00:00:00 init\n- - 00:00:00 -\n';
  assert.equal(parsePsOutput(m, new Set([812])).Processes.length, 2);
  assert.throws(() => parsePsOutput('USER CMD\nroot x\n', new Set([1])), /Couldn't find PID field/);
});

test('ps options may not rename the PID column', () => {
  assert.doesNotThrow(() => validatePsArgs(' -o pid=PID,comm'));
  assert.throws(() => validatePsArgs(' -o user=PID'), /specifying "user=PID" is not allowed/);
});
