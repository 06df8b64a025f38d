import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

// The shape of the code, checked: imports point one way and make no cycle. Every relative
// import of src/ (type-only ones too) is read from the sources.
const SRC = path.resolve(__dirname, '../../src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

/** file → the files it imports (relative imports and re-exports, resolved to .ts files). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of sources(SRC)) {
    const deps: string[] = [];
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/^(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/gm)) {
      const base = path.resolve(path.dirname(f), m[1]);
      const target = [`${base}.ts`, path.join(base, 'index.ts')].find((t) => fs.existsSync(t));
      if (target) deps.push(target);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.map((x) => path.relative(SRC, x)).sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** Which top folders a folder may not import from. */
const FORBIDDEN: Record<string, string[]> = {
  // The facts and the decisions: pure, below everything.
  domain: ['*'],
  // Docker's wire formats shared by the API server and the clients.
  wire: ['*'],
  // Operations: they never speak HTTP, format for a terminal, or reach the composition root.
  engine: ['api', 'cli', 'client', 'daemon'],
  api: ['cli', 'client', 'daemon'],
  // The clients talk to the daemon through the API only.
  cli: ['engine', 'api', 'daemon'],
  client: ['engine', 'api', 'daemon', 'cli'],
};
/** What '*' still lets a folder import. */
const ALLOWED_UNDER_STAR: Record<string, string[]> = { domain: ['domain'], wire: ['wire', 'domain'] };

const folderOf = (f: string) => {
  const rel = path.relative(SRC, f).split(path.sep);
  return rel.length > 1 ? rel[0] : '(top)';
};

test('no import cycle in src/ (type-only imports included)', () => {
  assert.deepEqual(cycles(importGraph()), []);
});

test('imports point one way: domain and wire below everything, the engine never reaches the API or the clients, the clients never the engine; only daemon/ composes', () => {
  const wrong: string[] = [];
  for (const [f, deps] of importGraph()) {
    const from = folderOf(f);
    for (const d of deps) {
      const to = folderOf(d);
      if (to === from) continue;
      const rule = FORBIDDEN[from] ?? [];
      const forbidden = rule.includes('*') ? !(ALLOWED_UNDER_STAR[from] ?? []).includes(to) : rule.includes(to);
      if (forbidden || (to === 'daemon' && from !== 'daemon')) wrong.push(`${path.relative(SRC, f)} → ${path.relative(SRC, d)}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the API reaches the host only through the engine: no value import from runtime/, storage/, images/, volumes/, network/, projections/ or journal/ (but the request actor)', () => {
  const HOST = ['runtime', 'storage', 'images', 'volumes', 'network', 'projections', 'journal'];
  const wrong: string[] = [];
  for (const f of sources(path.join(SRC, 'api'))) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/^import\s+(?!type\s)[^'"]*?from\s+'(\.[^']+)'/gm)) {
      const target = path.relative(SRC, path.resolve(path.dirname(f), m[1]));
      if (HOST.includes(target.split(path.sep)[0]) && target !== path.join('journal', 'actor')) wrong.push(`${path.relative(SRC, f)} → ${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});
