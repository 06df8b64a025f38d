import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Envelope } from '../domain/envelope';
import type { WharfEvent } from '../domain/events';
import type { Journal } from './journal';
import { LevelJournal } from './level-journal';
import { MemoryJournal } from './memory-journal';
import { follow } from './tail';

const tag = (i: number): WharfEvent => ({ type: 'image.tagged', data: { id: `sha256:${i}`, ref: `img:${i}` } });

async function collect(it: AsyncIterable<Envelope>, n: number): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for await (const e of it) {
    out.push(e);
    if (out.length >= n) break;
  }
  return out;
}

/** The journal contract, run against every implementation. */
function contract(name: string, make: () => { journal: Journal; reopen?: () => Journal; dispose(): void }) {
  describe(`journal contract: ${name}`, () => {
    test('appends get consecutive seqs and strictly increasing times', async () => {
      const { journal, dispose } = make();
      try {
        await journal.open();
        const a = await journal.append([tag(1), tag(2)]);
        const b = await journal.append([tag(3)]);
        const all = [...a, ...b];
        assert.deepEqual(all.map((e) => e.seq), [1n, 2n, 3n]);
        for (let i = 1; i < all.length; i++) assert.ok(all[i].time > all[i - 1].time);
        const read = await collect(journal.read(), 10);
        assert.deepEqual(read.map((e) => e.data), all.map((e) => e.data));
      } finally {
        await journal.close();
        dispose();
      }
    });

    test('concurrent appends are group-committed, each caller gets its own events in order', async () => {
      const { journal, dispose } = make();
      try {
        await journal.open();
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => journal.append([tag(i)])));
        results.forEach((r, i) => assert.equal((r[0].data as { ref: string }).ref, `img:${i}`));
        const seqs = results.map((r) => r[0].seq);
        assert.deepEqual(seqs, Array.from({ length: 50 }, (_, i) => BigInt(i + 1)));
      } finally {
        await journal.close();
        dispose();
      }
    });

    test('since/until select by time', async () => {
      const { journal, dispose } = make();
      try {
        await journal.open();
        const es = [];
        for (let i = 0; i < 5; i++) es.push(...(await journal.append([tag(i)])));
        const got = await collect(journal.read({ sinceTime: es[1].time, untilTime: es[3].time }), 10);
        assert.deepEqual(got.map((e) => e.seq), [2n, 3n, 4n]);
      } finally {
        await journal.close();
        dispose();
      }
    });

    test('follow catches up then goes live with no gap and no duplicate', async () => {
      const { journal, dispose } = make();
      try {
        await journal.open();
        for (let i = 0; i < 3; i++) await journal.append([tag(i)]);
        const ac = new AbortController();
        const seen = collect(follow(journal, { afterSeq: 0n }, ac.signal), 8);
        for (let i = 3; i < 8; i++) await journal.append([tag(i)]);
        const got = await seen;
        ac.abort();
        assert.deepEqual(got.map((e) => e.seq), [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
      } finally {
        await journal.close();
        dispose();
      }
    });

    if (name === 'LevelDB') {
      test('a reopened journal continues the sequence and time', async () => {
        const { journal, reopen, dispose } = make();
        try {
          await journal.open();
          const [first] = await journal.append([tag(1)]);
          await journal.close();
          const again = reopen!();
          await again.open();
          const [second] = await again.append([tag(2)]);
          assert.equal(second.seq, 2n);
          assert.ok(second.time > first.time);
          await again.close();
        } finally {
          dispose();
        }
      });
    }
  });
}

contract('memory', () => ({ journal: new MemoryJournal(), dispose: () => undefined }));
contract('LevelDB', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-journal-'));
  const loc = path.join(dir, 'db');
  return { journal: new LevelJournal(loc), reopen: () => new LevelJournal(loc), dispose: () => rmSync(dir, { recursive: true, force: true }) };
});
