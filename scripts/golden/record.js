#!/usr/bin/env node
// Records a golden journal (journal/golden/README.md): starts this checkout's wharfd on a temp
// socket and data root (its own bridge wfgold0, 10.213.70.1/24) and a local registry, runs a
// scenario with the real docker CLI that writes every event type this version writes, stops
// the daemon, and writes journal/golden/<name>/journal.jsonl (`wharf journal export
// --data-root`) and views.json (the views the daemon held when it stopped: its last
// checkpoint, which must be at its last record). Build first (npx tsc -p .); run as root.
//
//   node scripts/golden/record.js NAME        e.g. v1-2026-12
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '../..');
const { TestDaemon, sleep, BUSYBOX_TAR } = require(path.join(root, 'dist/test/helpers/wharfd.js'));
const { TestRegistry } = require(path.join(root, 'dist/test/helpers/registry.js'));
const { readCheckpoint, CHECKPOINT_FILE } = require(path.join(root, 'dist/src/projections/checkpoint.js'));
const { viewsJsonText } = require(path.join(root, 'dist/src/projections/views-json.js'));
const { EVENT_VERSION } = require(path.join(root, 'dist/src/domain/events.js'));

/** Event types this version does not write, and why (recorded.json and journal/golden/README.md). */
const NOT_WRITTEN = {
  'container.health-probed': 'written by earlier versions only: since health probes left the journal, only status changes (container.health-status) are records',
};

const name = process.argv[2];
if (!name || !/^[a-z0-9][a-z0-9.-]*$/.test(name)) {
  console.error('usage: record.js NAME (e.g. v1-2026-12)');
  process.exit(2);
}
const outDir = path.join(root, 'journal', 'golden', name);

async function main() {
  const d = new TestDaemon();
  let reg;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wfgold-record-'));
  try {
    reg = await TestRegistry.start();
    await d.start(['-b', 'wfgold0', '--bip', '10.213.70.1/24']);
    const ok = (args, opts) => {
      const r = d.docker(args, opts);
      if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
      return r.stdout;
    };
    const state = (c) => ok(['inspect', '-f', '{{.State.Status}}', c]).trim();
    const until = async (what, fn, ms = 20_000) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (fn()) return;
        await sleep(100);
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    const types = () => new Set(d.wharfOk(['journal', 'export']).split('\n').filter(Boolean).map((l) => JSON.parse(l).type));
    /** A tar of one small file: an image layer of its own. */
    const layerTar = (file, text) => {
      const dir = fs.mkdtempSync(path.join(work, 'layer-'));
      fs.writeFileSync(path.join(dir, file), text);
      const tar = `${dir}.tar`;
      execFileSync('tar', ['-C', dir, '-cf', tar, file]);
      return tar;
    };

    // Images: import (busybox and two one-file bases), tag, untag.
    ok(['import', BUSYBOX_TAR, 'busybox:latest']);
    ok(['tag', 'busybox', 'golden/alias:1']);
    ok(['rmi', 'golden/alias:1']);

    // Volumes and networks: created, one of each removed.
    ok(['volume', 'create', '--label', 'golden=1', 'gvol']);
    ok(['volume', 'create', 'gtmp']);
    ok(['volume', 'rm', 'gtmp']);
    ok(['network', 'create', '--subnet', '10.213.71.0/24', '-o', 'com.docker.network.bridge.name=wfgold1', '--label', 'golden=1', 'gnet']);
    ok(['network', 'create', '--subnet', '10.213.72.0/24', '-o', 'com.docker.network.bridge.name=wfgold2', 'gnet2']);
    ok(['network', 'rm', 'gnet2']);

    // A container on a user network with a volume and a health check: joined, mounted, connected, healthy.
    ok(['run', '-d', '--name', 'web', '--network', 'gnet', '--network-alias', 'www', '-v', 'gvol:/data', '-l', 'app=web', '--health-cmd', 'true', '--health-interval', '1s', 'busybox', 'sh', '-c', 'echo hi > /data/f; while true; do sleep 1; done']);
    await until('web healthy', () => ok(['inspect', '-f', '{{.State.Health.Status}}', 'web']).trim() === 'healthy');
    ok(['exec', 'web', 'echo', 'hello']);
    ok(['pause', 'web']);
    ok(['unpause', 'web']);
    ok(['update', '--cpu-shares', '512', 'web']);
    ok(['rename', 'web', 'web2']);
    ok(['commit', 'web2', 'golden/committed:1']);

    // Legacy links and network membership of a container on the default bridge.
    ok(['run', '-d', '--name', 'base', 'busybox', 'sleep', '1000']);
    ok(['run', '-d', '--name', 'lk', '--link', 'base:al', 'busybox', 'sleep', '1000']);
    ok(['rm', '--link', 'lk/al']);
    ok(['network', 'connect', 'gnet', 'base']);
    ok(['network', 'disconnect', 'gnet', 'base']);
    ok(['kill', 'base']);
    ok(['stop', '-t', '1', 'web2']);
    ok(['rm', '-f', 'base', 'lk']);

    // A start that fails, an OOM kill, a restart policy that gives up, and one cancelled by a stop.
    assert.equal(d.docker(['run', '--name', 'bad', 'busybox', '/nonexistent']).code, 127);
    assert.equal(d.docker(['run', '--name', 'hog', '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=aaaaaaaa; while true; do x="$x$x"; done']).code, 137);
    ok(['run', '-d', '--name', 'flap', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3']);
    await until('flap to give up', () => state('flap') === 'exited' && ok(['inspect', '-f', '{{.RestartCount}}', 'flap']).trim() === '2');
    ok(['run', '-d', '--name', 'loop', '--restart', 'unless-stopped', 'busybox', 'sh', '-c', 'sleep 0.3; exit 1']);
    for (let i = 0; i < 40 && !types().has('container.restart-cancelled'); i++) {
      // A stop while it waits for its restart (Docker's back-off: 100 ms doubling).
      await until('loop restarting', () => state('loop') === 'restarting');
      ok(['stop', '-t', '1', 'loop']);
      if (!types().has('container.restart-cancelled')) ok(['start', 'loop']);
    }
    ok(['create', '--name', 'fresh', 'busybox', 'true']);

    // Builds: one that ends with an image (built, steps, tagged), one that fails.
    const ctx = fs.mkdtempSync(path.join(work, 'ctx-'));
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo built > /built\nLABEL golden=1\n');
    fs.writeFileSync(path.join(ctx, 'Dockerfile.fail'), 'FROM busybox\nRUN exit 7\n');
    const env = { ...d.env, DOCKER_BUILDKIT: '0' };
    const { runSync } = require(path.join(root, 'dist/test/helpers/wharfd.js'));
    const b1 = runSync('/usr/local/bin/docker', ['build', '-t', 'golden/built:1', ctx], env);
    assert.equal(b1.code, 0, b1.stderr);
    const b2 = runSync('/usr/local/bin/docker', ['build', '-f', path.join(ctx, 'Dockerfile.fail'), ctx], env);
    assert.notEqual(b2.code, 0);

    // Save and load.
    const archive = path.join(work, 'built.tar');
    ok(['save', '-o', archive, 'golden/built:1']);
    ok(['rmi', 'golden/built:1']);
    ok(['load', '-i', archive]);

    // A registry: push, pull (layers, image), and a pull cut short whose layer image prune releases.
    const r = (n) => `${reg.host}/golden/${n}`;
    ok(['import', layerTar('one', 'one\n'), r('pulled:1')]);
    ok(['push', r('pulled:1')]);
    ok(['rmi', r('pulled:1')]);
    ok(['pull', r('pulled:1')]);
    ok(['import', layerTar('two', 'two\n'), 'golden/two-base:1']);
    fs.rmSync(archive);
    const three = fs.mkdtempSync(path.join(work, 'three-'));
    fs.writeFileSync(path.join(three, 'Dockerfile'), 'FROM golden/two-base:1\nCOPY f /f\n');
    fs.writeFileSync(path.join(three, 'f'), 'three\n');
    const b3 = runSync('/usr/local/bin/docker', ['build', '-t', r('cut:1'), three], env);
    assert.equal(b3.code, 0, b3.stderr);
    ok(['push', r('cut:1')]);
    const pushed = d.wharfOk(['journal', 'export', '--filter', 'type=image.pushed']).split('\n').filter(Boolean).map((l) => JSON.parse(l)).pop();
    ok(['rmi', r('cut:1'), 'golden/two-base:1']);
    ok(['image', 'prune', '-f']);
    fs.rmSync(reg.blobFile(pushed.data.layers[1].digest));
    assert.notEqual(d.docker(['pull', r('cut:1')]).code, 0);
    ok(['image', 'prune', '-f']);

    const missing = Object.keys(EVENT_VERSION).filter((t) => !(t in NOT_WRITTEN) && !types().has(t));
    if (missing.length) throw new Error(`the scenario wrote no ${missing.join(', ')}`);
    const verify = d.wharf(['journal', 'verify']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);

    await d.stop();
    const jsonl = d.wharfOk(['journal', 'export', '--data-root', d.dataRoot]);
    const last = JSON.parse(jsonl.trim().split('\n').pop());
    // The head's hash: a journal imported from journal.jsonl has the very same records, so the same hash.
    const head = /head (\d+) ([0-9a-f]{64})/.exec(d.wharfOk(['journal', 'verify', '--data-root', d.dataRoot]));
    assert.ok(head && head[1] === String(last.seq), 'verify names the head');
    const ckpt = readCheckpoint(path.join(d.dataRoot, CHECKPOINT_FILE));
    if (!ckpt) throw new Error('the daemon wrote no checkpoint when it stopped');
    assert.equal(ckpt.views.appliedSeq, BigInt(last.seq), 'the checkpoint at the graceful stop is at the last record');
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    // Times and ids are as recorded; the local paths of this run are not part of the golden.
    fs.writeFileSync(path.join(outDir, 'journal.jsonl'), jsonl);
    fs.writeFileSync(path.join(outDir, 'views.json'), viewsJsonText(ckpt.views));
    const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short=7', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    fs.writeFileSync(path.join(outDir, 'recorded.json'), `${JSON.stringify({ name, commit, dirty, recordedAt: new Date().toISOString(), records: Number(last.seq), head: head[2], notWritten: NOT_WRITTEN, types: [...types2(jsonl)].sort() }, null, 1)}\n`);
    console.log(`${outDir}: ${last.seq} records, journal.jsonl ${fs.statSync(path.join(outDir, 'journal.jsonl')).size} bytes, views.json ${fs.statSync(path.join(outDir, 'views.json')).size} bytes`);
  } catch (e) {
    console.error(d.log.slice(-4000));
    throw e;
  } finally {
    await d.cleanup();
    if (reg) await reg.stop?.();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function types2(jsonl) {
  return new Set(jsonl.split('\n').filter(Boolean).map((l) => JSON.parse(l).type));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
