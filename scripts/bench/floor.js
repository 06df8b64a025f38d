'use strict';
// The runtime's floor: a bare `runc run` of `true` in a bundle of the same busybox rootfs the
// engines run (build/busybox.tar), with runc's default spec (its own network namespace, as
// --network none; no seccomp profile, no cgroup limits). The bundle lives in a
// /tmp/wharfbench-floor-* dir the bench makes and removes; samples are taken between the
// engines' own runs, so the floor sees the same load they do.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const BUSYBOX_TAR = path.join(ROOT, 'build', 'busybox.tar');

let bundle; // { dir, root, n }
const samples = [];

function ensureBundle() {
  if (bundle) return bundle;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharfbench-floor-'));
  process.once('exit', cleanupFloor);
  const rootfs = path.join(dir, 'bundle', 'rootfs');
  fs.mkdirSync(rootfs, { recursive: true });
  const untar = spawnSync('tar', ['-xf', BUSYBOX_TAR, '-C', rootfs]);
  if (untar.status !== 0) throw new Error(`floor: cannot unpack ${BUSYBOX_TAR}: ${untar.stderr}`);
  const specced = spawnSync('runc', ['spec', '-b', path.join(dir, 'bundle')], { encoding: 'utf8' });
  if (specced.status !== 0) throw new Error(`floor: runc spec: ${specced.stderr}`);
  const file = path.join(dir, 'bundle', 'config.json');
  const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['true'];
  fs.writeFileSync(file, JSON.stringify(spec));
  bundle = { dir, root: path.join(dir, 'runc'), n: 0 };
  return bundle;
}

/** One bare `runc run`, timed (seconds); also kept as a sample of the floor. */
function floorOnce() {
  const b = ensureBundle();
  const id = `floor-${process.pid}-${b.n++}`;
  const t = process.hrtime.bigint();
  const r = spawnSync('runc', ['--root', b.root, 'run', '-b', path.join(b.dir, 'bundle'), id], { stdio: 'ignore', timeout: 60000 });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`floor: runc run exited ${r.status}`);
  samples.push(s);
  return s;
}

/** Every floor sample of this run. */
function floorSamples() {
  return samples;
}

/** The bundle, its runc state and its dir (also at exit). */
function cleanupFloor() {
  if (!bundle) return;
  if (fs.existsSync(bundle.root)) {
    for (const id of fs.readdirSync(bundle.root)) spawnSync('runc', ['--root', bundle.root, 'delete', '--force', id], { stdio: 'ignore', timeout: 10000 });
  }
  fs.rmSync(bundle.dir, { recursive: true, force: true });
  bundle = undefined;
}

module.exports = { floorOnce, floorSamples, cleanupFloor };
