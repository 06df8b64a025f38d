import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A build context: a new dir under parent with these files (parents made; `executable` ones mode 0755). */
export function makeContext(parent: string, files: Record<string, string>, executable: string[] = []): string {
  const dir = mkdtempSync(path.join(parent, 'ctx-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
    if (executable.includes(name)) chmodSync(path.join(dir, name), 0o755);
  }
  return dir;
}
