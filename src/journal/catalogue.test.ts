import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { EVENT_VERSION } from '../domain/events';

// The catalogue in the top-level journal/ folder covers every event type the code can write.
const dir = path.resolve(__dirname, '../../../journal');

test('every event type has a schema for its current version and a catalogue row', () => {
  const catalogue = readFileSync(path.join(dir, 'README.md'), 'utf8');
  for (const [type, v] of Object.entries(EVENT_VERSION)) {
    const file = path.join(dir, 'schemas', `${type}.v${v}.json`);
    assert.ok(existsSync(file), `missing schema ${file}`);
    const schema = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(schema.title, type);
    assert.ok(catalogue.includes(`| \`${type}\` | ${v} |`), `catalogue row for ${type}`);
  }
});
