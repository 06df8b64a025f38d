import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mixedBatches } from '../../test/helpers/mixed-history';
import { EMPTY_HEAD } from '../journal/chain';
import { LevelJournal } from '../journal/level-journal';
import { MemoryJournal } from '../journal/memory-journal';
import { loadEventValidator } from '../journal/schemas';
import { bootViews, codeFingerprint, decodeValue, encodeValue, parseCheckpoint, readCheckpoint, serializeCheckpoint, writeCheckpointFile, CHECKPOINT_FILE } from './checkpoint';
import { Checkpointer } from './checkpointer';
import { Views } from './views';

const quiet = { info: () => undefined, warn: () => undefined };
const RECORDS = 4000;

async function fill(j: MemoryJournal | LevelJournal, records: number, seed = 1): Promise<void> {
  j.validator = loadEventValidator();
  for (const batch of mixedBatches(records, seed)) await j.append(batch);
}

/** Every view's keys in their insertion order (snapshot() sorts them; order matters to some evolves). */
function orders(v: Views): string {
  const out: Record<string, unknown> = {};
  const walk = (x: unknown, at: string) => {
    if (x instanceof Map) {
      out[at] = [...x.keys()];
      for (const [k, y] of x) if (y instanceof Map || y instanceof Set) walk(y, `${at}[${String(k)}]`);
    } else if (x instanceof Set) out[at] = [...x];
    else if (x && typeof x === 'object' && !Array.isArray(x)) for (const [k, y] of Object.entries(x)) walk(y, `${at}.${k}`);
  };
  walk(v.checkpointFields(), 'views');
  return JSON.stringify(out);
}

describe('the generic checkpoint encoding', () => {
  test('round-trips Maps, Sets, bigints, undefined, odd numbers and nesting exactly', () => {
    const value = {
      m: new Map<unknown, unknown>([['b', 1], ['a', new Set([3, 1, 2])], [5, { deep: new Map([['x', 10n]]) }]]),
      s: new Set(['z', 'a']),
      big: 2n ** 70n,
      undef: undefined,
      arr: [1, undefined, null, 'x', [2n]],
      nums: [NaN, Infinity, -Infinity, -0, 0.5],
      tagLike: { $: 'o', v: 'not a tag' },
      ['__proto__']: 'own key',
    };
    Object.defineProperty(value, '__proto__', { value: 'own key', enumerable: true });
    const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(value)))) as typeof value;
    assert.deepStrictEqual(back, value);
    assert.deepEqual([...back.m.keys()], ['b', 'a', 5]);
    assert.ok('undef' in back);
    assert.ok(Object.is(back.nums[3], -0));
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
  });

  test('refuses what it cannot hold, naming where, instead of dropping it', () => {
    assert.throws(() => encodeValue({ a: { when: new Date() } }, 'views'), /views\.a\.when: a Date object/);
    assert.throws(() => encodeValue({ f: () => 1 }, 'views'), /views\.f: a function/);
  });

  test('every field of Views is saved, also one added later, and a checkpoint of another shape is refused', () => {
    const v = new Views();
    (v as unknown as Record<string, unknown>).addedIndex = new Map([['k', new Set(['x'])]]);
    const text = serializeCheckpoint(v, EMPTY_HEAD, 'code');
    assert.match(text, /addedIndex/);
    // This build's Views has no such field: the checkpoint is not of its shape.
    assert.throws(() => parseCheckpoint(text, 'code'), /views has other fields than these views \(unknown addedIndex\)/);
    const fields = new Views().checkpointFields();
    delete fields.openBuilds;
    assert.throws(() => Views.fromCheckpointFields(fields), /missing openBuilds/);
    const nested = new Views().checkpointFields() as { images: Record<string, unknown> };
    nested.images = { images: new Map() };
    assert.throws(() => Views.fromCheckpointFields(nested), /views\.images has other fields than these views \(missing tags\)/);
  });
});

describe('views from a checkpoint and the rest of the journal', () => {
  test('equal the views of a full replay, for several k', async () => {
    const j = new MemoryJournal();
    await fill(j, RECORDS);
    assert.equal(j.lastSeq, BigInt(RECORDS));
    const full = await Views.replay(j, j.lastSeq);
    const types = new Set(j.stored.map((s) => s.type));
    for (const t of ['image.pulled', 'image.tagged', 'image.untagged', 'image.deleted', 'layer.pulled', 'container.created', 'container.started', 'container.died', 'container.destroyed', 'container.renamed', 'exec.died', 'volume.removed', 'network.removed']) {
      assert.ok(types.has(t), `the history has ${t}`);
    }
    assert.ok(full.containers.size > 10 && full.images.images.size > 5 && full.removed.containers.size > 10, 'mixed live and removed state');
    for (const k of [1, 2, 97, 1000, 2345, RECORDS - 1, RECORDS]) {
      const atK = await Views.replay(j, BigInt(k));
      const text = serializeCheckpoint(atK, { seq: BigInt(k), hash: j.stored[k - 1].h as string });
      const loaded = parseCheckpoint(text);
      assert.equal(loaded.at.seq, BigInt(k));
      assert.equal(loaded.views.snapshot(), atK.snapshot(), `k=${k}: the checkpoint holds the views at k`);
      assert.equal(orders(loaded.views), orders(atK), `k=${k}: insertion orders kept`);
      for await (const e of j.read({ afterSeq: BigInt(k) })) loaded.views.apply(e);
      assert.equal(loaded.views.snapshot(), full.snapshot(), `k=${k}: checkpoint + rest = full replay`);
      assert.equal(orders(loaded.views), orders(full), `k=${k}: same orders as a full replay`);
      assert.equal(loaded.views.appliedSeq, j.lastSeq);
    }
  });
});

describe('boot with a checkpoint (LevelJournal)', () => {
  let dir: string;
  let fullSnapshot: string;
  const K = 2500;
  let checkpointText: string;

  const journalOf = (root: string) => new LevelJournal(path.join(root, 'journal'));
  const fileOf = (root: string) => path.join(root, CHECKPOINT_FILE);

  async function bootOnce(root: string, prepare?: (file: string) => void) {
    fs.rmSync(fileOf(root), { force: true });
    if (checkpointText !== undefined) fs.writeFileSync(fileOf(root), checkpointText);
    prepare?.(fileOf(root));
    const j = journalOf(root);
    await j.open();
    try {
      const lines: string[] = [];
      const log = { info: (_o: object, m: string) => lines.push(m), warn: (_o: object, m: string) => lines.push(m) };
      const r = await bootViews(j, fileOf(root), log);
      return { ...r, lines, writeBlock: j.writeBlock };
    } finally {
      await j.close();
    }
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-ckpt-unit-'));
    const j = journalOf(dir);
    await j.open();
    await fill(j, RECORDS);
    fullSnapshot = (await Views.replay(j, j.lastSeq)).snapshot();
    let hashAtK = '';
    await j.verify((e, stored) => {
      if (e.seq === BigInt(K)) hashAtK = stored.h as string;
    });
    checkpointText = serializeCheckpoint(await Views.replay(j, BigInt(K)), { seq: BigInt(K), hash: hashAtK });
    await j.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a valid checkpoint: only the records after it are read and checked; same views', async () => {
    const r = await bootOnce(dir);
    assert.deepEqual(r.from?.seq, BigInt(K));
    assert.equal(r.rejected, undefined);
    assert.equal(r.boot.records, RECORDS - K);
    assert.equal(r.boot.damage, undefined);
    assert.equal(r.views.snapshot(), fullSnapshot);
    assert.ok(r.lines.some((l) => l === `starting from the views checkpoint at record ${K}`));
  });

  test('no checkpoint: full replay', async () => {
    const r = await bootOnce(dir, (f) => fs.rmSync(f));
    assert.equal(r.from, undefined);
    assert.equal(r.rejected, undefined);
    assert.equal(r.boot.records, RECORDS);
    assert.equal(r.views.snapshot(), fullSnapshot);
    assert.ok(r.lines.some((l) => /no views checkpoint/.test(l)));
  });

  const rejects: [string, string, RegExp, (file: string) => void][] = [
    ['an old format version', 'version', /format version 0/, (f) => {
      // a well-formed file of version 0, its checksum right
      const text = fs.readFileSync(f, 'utf8');
      const nl = text.indexOf('\n');
      const { sum: _s, ...h } = JSON.parse(text.slice(0, nl));
      const header = { ...h, v: 0 };
      const body = text.slice(nl + 1);
      const sum = require('node:crypto').createHash('sha256').update(`${JSON.stringify(header)}\n${body}`).digest('hex');
      fs.writeFileSync(f, `${JSON.stringify({ ...header, sum })}\n${body}`);
    }],
    ['a changed byte', 'damaged', /checksum does not match/, (f) => {
      const b = fs.readFileSync(f);
      const i = b.indexOf('"c', Math.floor(b.length / 2));
      b[i + 1] = 'd'.charCodeAt(0);
      fs.writeFileSync(f, b);
    }],
    ['a file cut short', 'damaged', /checksum does not match/, (f) => fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2))],
    ['a header only', 'damaged', /no header line|not JSON/, (f) => fs.writeFileSync(f, fs.readFileSync(f, 'utf8').slice(0, 40))],
    ['an empty file', 'damaged', /no header line/, (f) => fs.writeFileSync(f, '')],
    ['another build', 'code', /another build/, (f) => fs.writeFileSync(f, serializeCheckpoint(parseCheckpoint(fs.readFileSync(f, 'utf8')).views, parseCheckpoint(fs.readFileSync(f, 'utf8')).at, 'f'.repeat(32)))],
    ['another history (its record hash differs)', 'foreign', /another hash/, (f) => {
      const c = parseCheckpoint(fs.readFileSync(f, 'utf8'));
      fs.writeFileSync(f, serializeCheckpoint(c.views, { seq: c.at.seq, hash: 'e'.repeat(64) }));
    }],
    ['a seq beyond the journal', 'foreign', /after the last acknowledged/, (f) => {
      const c = parseCheckpoint(fs.readFileSync(f, 'utf8'));
      c.views.appliedSeq = BigInt(RECORDS + 10);
      fs.writeFileSync(f, serializeCheckpoint(c.views, { seq: BigInt(RECORDS + 10), hash: c.at.hash }));
    }],
  ];
  for (const [what, kind, why, damage] of rejects) {
    test(`a checkpoint with ${what} is ignored: full replay, views right`, async () => {
      const r = await bootOnce(dir, damage);
      assert.equal(r.from, undefined);
      assert.equal(r.rejected?.kind, kind);
      assert.match(r.rejected?.reason ?? '', why);
      assert.equal(r.boot.records, RECORDS, 'the whole journal read');
      assert.equal(r.views.snapshot(), fullSnapshot);
      assert.ok(r.lines.some((l) => /^ignoring the views checkpoint: .*; replaying the whole journal$/.test(l)), r.lines.join('\n'));
    });
  }

  test('a checkpoint from another journal of the same length is foreign', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-ckpt-unit-'));
    try {
      const j = journalOf(other);
      await j.open();
      await fill(j, K + 10, 2);
      await j.close();
      const r = await bootOnce(other);
      assert.equal(r.rejected?.kind, 'foreign');
      assert.equal(r.views.snapshot().length > 0, true);
      assert.equal(r.boot.records, K + 10);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  test('damage after the checkpoint is still found at boot (the chain is checked from its hash)', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-ckpt-unit-'));
    try {
      fs.cpSync(path.join(dir, 'journal'), path.join(copy, 'journal'), { recursive: true });
      fs.copyFileSync(path.join(dir, 'journal.head'), path.join(copy, 'journal.head'));
      const { Level } = await import('level');
      const db = new Level<string, string>(path.join(copy, 'journal'), { valueEncoding: 'utf8' });
      const key = `e!${(K + 5).toString(16).padStart(16, '0')}`;
      const rec = JSON.parse(await db.get(key) as string);
      rec.data.id = rec.data.id.replace(/^./, (c: string) => (c === 'a' ? 'b' : 'a'));
      await db.put(key, JSON.stringify(rec));
      await db.close();
      const r = await bootOnce(copy);
      assert.deepEqual(r.from?.seq, BigInt(K));
      assert.match(r.boot.damage ?? '', new RegExp(`record ${K + 5} does not match its hash`));
      assert.equal(r.writeBlock?.kind, 'damaged');
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('the checkpointer', () => {
  /** A journal in memory, the views following it, and a checkpointer writing to a temp dir; removed after. */
  async function withCheckpointer(opts: { everyRecords: number; afterMs: number }, fn: (x: { j: MemoryJournal; views: Views; c: Checkpointer; file: string }) => Promise<void>): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-ckpt-unit-'));
    try {
      const j = new MemoryJournal();
      const views = new Views();
      views.follow(j);
      const file = path.join(dir, CHECKPOINT_FILE);
      const c = new Checkpointer(views, j, file, { ...opts, log: quiet });
      c.start();
      await fn({ j, views, c, file });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The checkpoint is written off the commit: wait (bounded; a loaded machine takes longer) until it is at least at `seq`. */
  async function checkpointAt(file: string, seq: bigint): Promise<void> {
    for (let i = 0; i < 200 && (readCheckpoint(file)?.at.seq ?? 0n) < seq; i++) await new Promise((r) => setTimeout(r, 25));
  }

  test('writes every N records, off the commit, and at close; appends never wait for it', () =>
    withCheckpointer({ everyRecords: 500, afterMs: 60_000 }, async ({ j, views, c, file }) => {
      await fill(j, 1200);
      await checkpointAt(file, 1n);
      const mid = readCheckpoint(file);
      assert.ok(mid && mid.at.seq >= 500n, 'a checkpoint after 500 records');
      assert.equal(mid.at.hash, j.stored[Number(mid.at.seq) - 1].h);
      await c.close();
      const last = readCheckpoint(file);
      assert.equal(last?.at.seq, 1200n);
      assert.equal(last?.views.snapshot(), views.snapshot());
      assert.equal(codeFingerprint(), JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]).code);
      assert.ok(!fs.existsSync(`${file}.tmp`));
    }));

  test('after activity, within afterMs; nothing when nothing changed or the journal refuses writes', () =>
    withCheckpointer({ everyRecords: 10_000, afterMs: 100 }, async ({ j, c, file }) => {
      await fill(j, 30);
      await checkpointAt(file, 30n);
      assert.equal(readCheckpoint(file)?.at.seq, 30n);
      assert.equal(await c.checkpoint(), false, 'nothing new');
      j.setReadOnly('test');
      assert.equal(await c.checkpoint(), false);
      await c.close();
    }));

  test('the file is replaced atomically (a temp file renamed over it)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-ckpt-unit-'));
    try {
      const file = path.join(dir, CHECKPOINT_FILE);
      await writeCheckpointFile(file, 'one');
      const ino = fs.statSync(file).ino;
      await writeCheckpointFile(file, 'two');
      assert.equal(fs.readFileSync(file, 'utf8'), 'two');
      assert.notEqual(fs.statSync(file).ino, ino);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
