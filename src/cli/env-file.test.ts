import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEnvText, readEnvFile } from './env-file';

test('env files: comments, blank lines, bare names from the environment', () => {
  const env: Record<string, string> = { B: 'bee' };
  assert.deepEqual(parseEnvText('\uFEFFA=1\n# comment\n\n  B\nC\nD=x y\r\n', (k) => env[k]), ['A=1', 'B=bee', 'D=x y']);
  assert.throws(() => parseEnvText('=x\n', () => undefined), /no variable name on line '=x'/);
  assert.throws(() => parseEnvText('A B=1\n', () => undefined), /variable 'A B' contains whitespaces/);
  assert.throws(() => readEnvFile('/nonexistent-env-file'), /^Error: open \/nonexistent-env-file: no such file or directory$/);
});
