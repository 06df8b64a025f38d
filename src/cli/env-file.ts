/** --env-file: KEY=value lines, # comments, bare KEY taken from this environment (docker's kvfile). */
import { readFileSync } from 'node:fs';

export function parseEnvText(text: string, lookup: (k: string) => string | undefined): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    let l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (i === 0 && l.startsWith('\uFEFF')) l = l.slice(1);
    const line = l.replace(/^\s+/, '');
    if (line === '' || line[0] === '#') return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key.length === 0) throw new Error(`no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw new Error(`variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else {
      const v = lookup(line);
      if (v !== undefined) out.push(`${key}=${v}`);
    }
  });
  return out;
}

/** Read one env file; a missing file reads as Go's "open PATH: no such file or directory". */
export function readEnvFile(file: string, env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory' };
    throw new Error(`open ${file}: ${why[err.code ?? ''] ?? err.message}`);
  }
  try {
    return parseEnvText(text, (k) => env[k]);
  } catch (e) {
    throw new Error(`invalid env file (${file}): ${(e as Error).message}`);
  }
}
