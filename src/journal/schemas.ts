import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import type { EventValidator } from './journal';

/** The contract folder (journal/ at the top of the checkout), from dist/src/journal or src/journal. */
export function schemaDir(): string {
  for (const d of [path.resolve(__dirname, '../../../journal/schemas'), path.resolve(__dirname, '../../journal/schemas')]) {
    if (fs.existsSync(d)) return d;
  }
  throw new Error('journal/schemas not found beside the code');
}

/**
 * A validator of events against journal/schemas/<type>.v<v>.json (JSON Schema 2020-12, ajv),
 * compiled once: the journal checks every record on append and never writes one that does not
 * match its schema.
 */
export function loadEventValidator(dir = schemaDir()): EventValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  // RFC 3339 times as the code writes them (nanosecond fractions, Z or an offset).
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  const byKey = new Map<string, ValidateFunction>();
  for (const f of fs.readdirSync(dir)) {
    const m = /^(.+)\.v(\d+)\.json$/.exec(f);
    if (!m) continue;
    byKey.set(`${m[1]}@${m[2]}`, ajv.compile(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))));
  }
  return (e) => {
    const check = byKey.get(`${e.type}@${e.v}`);
    if (!check) return `no schema for ${e.type} v${e.v}`;
    if (check(e.data)) return undefined;
    const err = check.errors?.[0];
    return err ? `data${err.instancePath} ${err.message ?? 'is invalid'}${err.params && 'additionalProperty' in err.params ? ` (${String(err.params.additionalProperty)})` : ''}` : 'does not match';
  };
}
