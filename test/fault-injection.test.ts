import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TestRegistry } from './helpers/registry';
import { sleep, TestDaemon } from './helpers/wharfd';
import { prng } from './helpers/prng';

// Fault injection: a mixed concurrent load (containers, images, volumes, networks, pulls from
// a local registry) and a SIGKILL of the daemon at a random moment, round after round on the
// same data root. After each restart, with no manual step, what a user sees must be settled
// and true, and everything a client saw acknowledged must still be there.
//
//   WHARF_FAULT_ROUNDS   rounds (default 20)
//   WHARF_FAULT_SEED     replay a run (the seed is printed)
//   WHARF_FAULT_CLIENTS  concurrent clients (default 4)
//   WHARF_FAULT_MAX_DELAY_MS  longest delay before the kill (default 2500)

const ROUNDS = Number(process.env.WHARF_FAULT_ROUNDS ?? 20);
const SEED = process.env.WHARF_FAULT_SEED ? Number(process.env.WHARF_FAULT_SEED) : Math.floor(Math.random() * 2 ** 32);
const CLIENTS = Number(process.env.WHARF_FAULT_CLIENTS ?? 4);
const MAX_DELAY_MS = Number(process.env.WHARF_FAULT_MAX_DELAY_MS ?? 2500);
/** Each request's bound (a daemon that hangs fails the round, it does not hang the test). */
const REQUEST_MS = 30_000;
/** The daemon must answer a ping within this after it is started again. */
const BOOT_MS = 15_000;

interface Reply {
  status: number;
  body: string;
}

/** One API request; rejects when the connection fails or is cut before the whole response arrived. */
function call(sock: string, method: string, p: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { socketPath: sock, path: p, method, timeout: REQUEST_MS, headers: data === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('error', reject);
        res.on('close', () => (res.complete ? resolve({ status: res.statusCode ?? 0, body: text }) : reject(new Error('response cut short'))));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${p}: no answer within ${REQUEST_MS} ms`)));
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

/** A progress stream (pull) succeeded when it ended with no error line. */
const streamOk = (r: Reply) => r.status === 200 && !r.body.split('\n').some((l) => /"error(Detail)?"\s*:/.test(l));

// ---------------------------------------------------------------------------------------------
// The model: what the clients were told. `state` is what acknowledged operations leave; `alt`
// is what an operation whose answer never came would leave (it may have happened, or not).

type CState = 'created' | 'running' | 'exited' | 'gone';
interface ModelContainer {
  name: string;
  /** The user network it was created on (it gets an address there whenever it runs). */
  network?: string;
  id?: string;
  state: CState;
  alt?: CState;
}
/** A reference: the image id it names (null: it names nothing; 'any': a commit not acknowledged). */
type RefTarget = string | null | 'any';
interface ModelRef {
  ref: string;
  kind: 'tag' | 'commit' | 'pull';
  target: RefTarget;
  alt?: RefTarget;
}
interface ModelThing {
  name: string;
  exists: boolean;
  alt?: boolean;
  bridge?: string;
}

class Model {
  containers = new Map<string, ModelContainer>();
  refs = new Map<string, ModelRef>();
  volumes = new Map<string, ModelThing>();
  networks = new Map<string, ModelThing>();
  /** Keys an operation is in flight on: one operation at a time per thing. */
  busy = new Set<string>();
  /** Answers a live daemon should never give to this load. */
  unexpected: string[] = [];
  acked = 0;
  cut = 0;
  /** Containers seen running on a user network after a restart (that the load reaches that path). */
  runningOnNetworks = 0;
  counter = 0;
}

interface Setup {
  d: TestDaemon;
  busyboxId: string;
  pullRef: string;
  pullId: string;
  /** A short tag of this run in bridge names (15 characters at most). */
  run: string;
}

/** An operation is "pending" from the moment it is sent; its answer settles it. */
async function op(m: Model, key: string, send: () => Promise<Reply>, ok: (r: Reply) => boolean, onPending: () => void, onAck: (r: Reply) => void): Promise<'ack' | 'refused' | 'cut'> {
  m.busy.add(key);
  onPending();
  try {
    let r: Reply;
    try {
      r = await send();
    } catch {
      m.cut++;
      return 'cut'; // the answer never came: either outcome, to be settled at boot
    }
    if (ok(r)) {
      m.acked++;
      onAck(r);
      return 'ack';
    }
    // A refusal leaves things as they were (the pending alternative stays: a 500 may be half-done,
    // which boot must settle), but a live daemon refusing this load is noted.
    m.unexpected.push(`${key}: ${r.status} ${r.body.slice(0, 300)}`);
    return 'refused';
  } finally {
    m.busy.delete(key);
  }
}

const pick = <T>(rng: () => number, xs: T[]): T | undefined => (xs.length ? xs[Math.floor(rng() * xs.length)] : undefined);

/** One client: random operations until told to stop (the daemon was killed) or the bound. */
async function client(s: Setup, m: Model, rng: () => number, me: number, stop: { now: boolean }): Promise<void> {
  const sock = s.d.sock;
  const deadline = Date.now() + 60_000;
  for (let i = 0; i < 2000 && !stop.now && Date.now() < deadline; i++) {
    // Never a loop that does not yield: a pass that finds nothing to do still lets the others run.
    await new Promise((r) => setImmediate(r));
    const free = <T extends { name?: string; ref?: string }>(xs: Iterable<T>, key: (x: T) => string, f: (x: T) => boolean) => [...xs].filter((x) => !m.busy.has(key(x)) && f(x));
    const live = [...m.containers.values()].filter((c) => c.state !== 'gone' || c.alt);
    let r = rng();
    // At most 16 containers: a create then becomes a removal.
    if (r < 0.2 && live.length >= 16) r = 0.55;
    const n = ++m.counter;
    const ck = (c: ModelContainer) => `container:${c.name}`;
    if (r < 0.2 || live.length < 3) {
      // Some on a user network (kept from removal while it is in use).
      const nw = rng() < 0.35 ? pick(rng, [...m.networks.values()].filter((x) => x.exists && x.alt === undefined && !m.busy.has(`network:${x.name}`))) : undefined;
      const c: ModelContainer = { name: `fault-c${me}-${n}`, state: 'gone', ...(nw ? { network: nw.name } : {}) };
      m.containers.set(c.name, c);
      if (nw) m.busy.add(`network:${nw.name}`);
      try {
        await op(m, ck(c), () => call(sock, 'POST', `/containers/create?name=${c.name}`, { Image: 'busybox', Cmd: ['sleep', '600'], Labels: { fault: '1' }, ...(nw ? { HostConfig: { NetworkMode: nw.name } } : {}) }), (x) => x.status === 201, () => (c.alt = 'created'), (x) => {
          c.id = JSON.parse(x.body).Id;
          c.state = 'created';
          c.alt = undefined;
        });
      } finally {
        if (nw) m.busy.delete(`network:${nw.name}`);
      }
    } else if (r < 0.38) {
      const c = pick(rng, free(m.containers.values(), ck, (x) => !x.alt && (x.state === 'created' || x.state === 'exited')));
      if (!c) continue;
      await op(m, ck(c), () => call(sock, 'POST', `/containers/${c.name}/start`), (x) => x.status === 204, () => (c.alt = 'running'), () => {
        c.state = 'running';
        c.alt = undefined;
      });
    } else if (r < 0.48) {
      const c = pick(rng, free(m.containers.values(), ck, (x) => !x.alt && x.state === 'running'));
      if (!c) continue;
      const t = rng() < 0.8 ? 0 : 1;
      await op(m, ck(c), () => call(sock, 'POST', `/containers/${c.name}/stop?t=${t}`), (x) => x.status === 204, () => (c.alt = 'exited'), () => {
        c.state = 'exited';
        c.alt = undefined;
      });
    } else if (r < 0.6) {
      const c = pick(rng, free(m.containers.values(), ck, (x) => !x.alt && x.state !== 'gone'));
      if (!c) continue;
      await op(m, ck(c), () => call(sock, 'DELETE', `/containers/${c.name}?force=1`), (x) => x.status === 204, () => (c.alt = 'gone'), () => {
        c.state = 'gone';
        c.alt = undefined;
      });
    } else if (r < 0.67) {
      const c = pick(rng, free(m.containers.values(), ck, (x) => !x.alt && x.state !== 'gone'));
      if (!c) continue;
      const ref: ModelRef = { ref: `fault-commit:c${me}-${n}`, kind: 'commit', target: null };
      m.refs.set(ref.ref, ref);
      // The container is busy too: no rm while it is read.
      m.busy.add(ck(c));
      try {
        await op(m, `ref:${ref.ref}`, () => call(sock, 'POST', `/commit?container=${c.name}&repo=fault-commit&tag=c${me}-${n}`), (x) => x.status === 201, () => (ref.alt = 'any'), (x) => {
          ref.target = JSON.parse(x.body).Id;
          ref.alt = undefined;
        });
      } finally {
        m.busy.delete(ck(c));
      }
    } else if (r < 0.74) {
      const ref: ModelRef = { ref: `fault-tag:c${me}-${n}`, kind: 'tag', target: null };
      m.refs.set(ref.ref, ref);
      await op(m, `ref:${ref.ref}`, () => call(sock, 'POST', `/images/busybox/tag?repo=fault-tag&tag=c${me}-${n}`), (x) => x.status === 201, () => (ref.alt = s.busyboxId), () => {
        ref.target = s.busyboxId;
        ref.alt = undefined;
      });
    } else if (r < 0.8) {
      const ref = pick(rng, free(m.refs.values(), (x) => `ref:${x.ref}`, (x) => x.alt === undefined && x.target !== null));
      if (!ref) continue;
      await op(m, `ref:${ref.ref}`, () => call(sock, 'DELETE', `/images/${encodeURIComponent(ref.ref)}`), (x) => x.status === 200, () => (ref.alt = null), () => {
        ref.target = null;
        ref.alt = undefined;
      });
    } else if (r < 0.87) {
      const v = pick(rng, free(m.volumes.values(), (x) => `volume:${x.name}`, (x) => x.alt === undefined && x.exists));
      if (v && (rng() < 0.5 || m.volumes.size > 12)) {
        await op(m, `volume:${v.name}`, () => call(sock, 'DELETE', `/volumes/${v.name}`), (x) => x.status === 204, () => (v.alt = false), () => {
          v.exists = false;
          v.alt = undefined;
        });
      } else {
        const nv: ModelThing = { name: `fault-v${me}-${n}`, exists: false };
        m.volumes.set(nv.name, nv);
        await op(m, `volume:${nv.name}`, () => call(sock, 'POST', '/volumes/create', { Name: nv.name, Labels: { fault: '1' } }), (x) => x.status === 201, () => (nv.alt = true), () => {
          nv.exists = true;
          nv.alt = undefined;
        });
      }
    } else if (r < 0.93) {
      const existing = [...m.networks.values()].filter((x) => x.exists || x.alt);
      const inUse = (name: string) => [...m.containers.values()].some((c) => c.network === name && (c.state !== 'gone' || c.alt !== undefined));
      const nw = pick(rng, free(m.networks.values(), (x) => `network:${x.name}`, (x) => x.alt === undefined && x.exists && !inUse(x.name)));
      if (nw && (rng() < 0.5 || existing.length >= 4)) {
        await op(m, `network:${nw.name}`, () => call(sock, 'DELETE', `/networks/${nw.name}`), (x) => x.status === 204, () => (nw.alt = false), () => {
          nw.exists = false;
          nw.alt = undefined;
        });
      } else if (existing.length < 4) {
        const nn: ModelThing = { name: `fault-n${me}-${n}`, exists: false, bridge: `wfz${s.run}${n.toString(36)}` };
        m.networks.set(nn.name, nn);
        s.d.networkBridges.add(nn.bridge!); // cleanup removes it, whatever happens
        await op(m, `network:${nn.name}`, () => call(sock, 'POST', '/networks/create', { Name: nn.name, Driver: 'bridge', Labels: { fault: '1' }, Options: { 'com.docker.network.bridge.name': nn.bridge } }), (x) => x.status === 201, () => (nn.alt = true), () => {
          nn.exists = true;
          nn.alt = undefined;
        });
      }
    } else {
      let ref = m.refs.get(s.pullRef);
      if (!ref) m.refs.set(s.pullRef, (ref = { ref: s.pullRef, kind: 'pull', target: null }));
      if (m.busy.has(`ref:${s.pullRef}`) || ref.alt !== undefined) continue;
      const pulled = ref;
      if (pulled.target === null) {
        const [repo, tag] = [s.pullRef.slice(0, s.pullRef.lastIndexOf(':')), s.pullRef.slice(s.pullRef.lastIndexOf(':') + 1)];
        await op(m, `ref:${s.pullRef}`, () => call(sock, 'POST', `/images/create?fromImage=${encodeURIComponent(repo)}&tag=${tag}`), streamOk, () => (pulled.alt = s.pullId), () => {
          pulled.target = s.pullId;
          pulled.alt = undefined;
        });
      } else {
        await op(m, `ref:${s.pullRef}`, () => call(sock, 'DELETE', `/images/${encodeURIComponent(s.pullRef)}`), (x) => x.status === 200, () => (pulled.alt = null), () => {
          pulled.target = null;
          pulled.alt = undefined;
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The checks after each restart.

interface Inspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; Paused: boolean; Restarting: boolean; Dead: boolean; Pid: number; Error: string; StartedAt: string };
  HostConfig: { RestartPolicy?: { Name?: string } };
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
}

async function getJson<T>(d: TestDaemon, p: string): Promise<{ status: number; value?: T; body: string }> {
  const r = await call(d.sock, 'GET', p);
  return { status: r.status, body: r.body, value: r.status === 200 ? (JSON.parse(r.body) as T) : undefined };
}

function runcState(d: TestDaemon, id: string): string | undefined {
  const r = spawnSync('runc', ['--root', path.join(d.execRoot, 'runc'), 'state', id], { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout) as { status: string }).status : undefined;
}

/** A live process: in /proc and not a zombie. */
function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
}

const statusOf = (c: Inspect | undefined): CState | string => (c ? c.State.Status : 'gone');

/** No container mid-flight; each running one has a live process that runc runs. */
async function checkSettled(d: TestDaemon, problems: string[]): Promise<Map<string, Inspect>> {
  const list = await getJson<{ Id: string }[]>(d, '/containers/json?all=1');
  assert.equal(list.status, 200, list.body);
  const seen = new Map<string, Inspect>();
  for (const { Id } of list.value!) {
    const r = await getJson<Inspect>(d, `/containers/${Id}/json`);
    if (r.status !== 200) {
      problems.push(`${Id.slice(0, 12)} listed but inspect answers ${r.status} ${r.body}`);
      continue;
    }
    const c = r.value!;
    seen.set(c.Name.replace(/^\//, ''), c);
    const what = `${c.Name} (${c.Id.slice(0, 12)})`;
    const st = c.State.Status;
    if (!['created', 'running', 'exited'].includes(st)) {
      const policy = c.HostConfig.RestartPolicy?.Name;
      if (!(st === 'restarting' && policy && policy !== 'no')) problems.push(`${what} left ${st}`);
    }
    if (c.State.Dead) problems.push(`${what} dead`);
    const runc = runcState(d, c.Id);
    if (st === 'running') {
      if (!(c.State.Pid > 0 && alive(c.State.Pid))) problems.push(`${what} running with no live process (Pid ${c.State.Pid})`);
      if (runc !== 'running') problems.push(`${what} running but runc says ${runc ?? 'no such container'}`);
    } else if (runc === 'running' || runc === 'paused') {
      problems.push(`${what} is ${st} but runc says ${runc}`);
    }
  }
  // Root filesystems are mounted only while their containers run (an exit being recorded
  // unmounts just after: a few seconds are allowed).
  const overlay = path.join(d.dataRoot, 'overlay') + '/';
  const stray = () => {
    const running = new Set([...seen.values()].filter((c) => c.State.Status === 'running').map((c) => c.Id));
    return readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m?.startsWith(overlay) && !running.has(m.slice(overlay.length).split('/')[0]));
  };
  for (let i = 0; i < 50 && stray().length; i++) await sleep(100);
  for (const m of stray()) {
    const id = m.slice(overlay.length).split('/')[0];
    const c = [...seen.values()].find((x) => x.Id === id);
    const now = await getJson<Inspect>(d, `/containers/${id}/json`);
    problems.push(`${m} mounted, but its container is ${c ? c.State.Status : 'not listed'} (now ${statusOf(now.value)}, runc ${runcState(d, id) ?? 'none'})`);
  }
  return seen;
}

/**
 * Every acknowledged effect is visible; every cut one went one way or the other. Then the model
 * learns what boot settled, and forgets what is gone (so the checks do not grow round after round).
 */
async function checkAcknowledged(d: TestDaemon, m: Model, seen: Map<string, Inspect>, problems: string[]): Promise<void> {
  for (const c of m.containers.values()) {
    const actual = seen.get(c.name);
    const st = statusOf(actual);
    const allowed = new Set([c.state, ...(c.alt ? [c.alt] : [])]);
    // A start cut short may fail (created, or exited when it had run before): settled, not half-done.
    if (c.alt === 'running') allowed.add(c.state === 'created' ? 'created' : 'exited');
    if (!allowed.has(st as CState)) problems.push(`container ${c.name}: ${st}, expected ${[...allowed].join(' or ')}`);
    if (c.id && actual && actual.Id !== c.id) problems.push(`container ${c.name}: id ${actual.Id}, acknowledged ${c.id}`);
    c.state = (allowed.has(st as CState) ? st : c.state) as CState;
    if (actual) c.id = actual.Id;
    c.alt = undefined;
  }
  // Running containers on a network have an address there, each its own.
  const addresses = new Map<string, string>();
  for (const c of m.containers.values()) {
    const actual = seen.get(c.name);
    if (!c.network || actual?.State.Status !== 'running') continue;
    const ip = actual.NetworkSettings?.Networks?.[c.network]?.IPAddress;
    if (!ip) problems.push(`container ${c.name} runs on ${c.network} with no address`);
    else if (addresses.has(`${c.network} ${ip}`)) problems.push(`containers ${c.name} and ${addresses.get(`${c.network} ${ip}`)} both have ${ip} on ${c.network}`);
    else addresses.set(`${c.network} ${ip}`, c.name);
    m.runningOnNetworks++;
  }
  // Containers of this load nobody asked for (a name reused, a create answered twice...).
  for (const [name, c] of seen) if (!m.containers.has(name)) problems.push(`container ${name} (${c.Id.slice(0, 12)}) was never asked for`);
  for (const r of m.refs.values()) {
    const got = await getJson<{ Id: string }>(d, `/images/${encodeURIComponent(r.ref)}/json`);
    const actual = got.status === 200 ? got.value!.Id : got.status === 404 ? null : `status ${got.status}`;
    const fits = (t: RefTarget | undefined) => t !== undefined && (t === 'any' ? true : t === actual);
    if (!fits(r.target) && !fits(r.alt)) problems.push(`image ${r.ref}: ${actual ?? 'absent'}, expected ${r.target ?? 'absent'}${r.alt !== undefined ? ` or ${r.alt ?? 'absent'}` : ''}`);
    if (actual !== null && actual.startsWith('sha256:')) r.target = actual;
    else if (actual === null) r.target = null;
    r.alt = undefined;
  }
  for (const [ref, r] of m.refs) if (r.target === null) m.refs.delete(ref);
  for (const [name, c] of m.containers) if (c.state === 'gone') m.containers.delete(name);
  for (const [kind, things] of [['volumes', m.volumes], ['networks', m.networks]] as const) {
    for (const t of things.values()) {
      const got = await getJson<unknown>(d, `/${kind}/${t.name}`);
      const exists = got.status === 200;
      if (got.status !== 200 && got.status !== 404) problems.push(`${kind} ${t.name}: inspect answers ${got.status} ${got.body}`);
      if (exists !== t.exists && exists !== t.alt) problems.push(`${kind} ${t.name}: ${exists ? 'exists' : 'absent'}, expected ${t.exists ? 'to exist' : 'absent'}`);
      if (kind === 'networks' && t.bridge) {
        const link = spawnSync('ip', ['link', 'show', t.bridge], { stdio: 'ignore' }).status === 0;
        if (link !== exists) problems.push(`network ${t.name}: ${exists ? 'exists' : 'absent'} but its bridge ${t.bridge} is ${link ? 'there' : 'missing'}`);
      }
      t.exists = exists;
      t.alt = undefined;
      if (!exists) things.delete(t.name);
    }
  }
}

interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string };
  time: number;
  timeNano: number;
}

/** docker events --since 0: times never go back, no event twice. */
function checkEvents(d: TestDaemon, problems: string[]): number {
  const r = d.docker(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--format', '{{json .}}'], { timeoutMs: 30_000 });
  if (r.code !== 0) {
    problems.push(`docker events: ${r.stderr}`);
    return 0;
  }
  const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as DockerEvent);
  const keys = new Set<string>();
  let last = 0;
  for (const e of events) {
    if (e.timeNano < last) problems.push(`event out of order: ${e.Type} ${e.Action} ${e.Actor.ID.slice(0, 12)} at ${e.timeNano} after ${last}`);
    last = Math.max(last, e.timeNano);
    const key = `${e.Type} ${e.Action} ${e.Actor.ID} ${e.timeNano}`;
    if (keys.has(key)) problems.push(`event twice: ${key}`);
    keys.add(key);
  }
  return events.length;
}

/** The journal is intact and the views rebuilt from it from scratch equal the live ones (GET /wharf/v1/journal/verify). */
async function checkJournal(d: TestDaemon, problems: string[]): Promise<number> {
  const r = await call(d.sock, 'GET', '/wharf/v1/journal/verify');
  if (r.status !== 200) {
    problems.push(`journal verify: ${r.status} ${r.body}`);
    return 0;
  }
  const v = JSON.parse(r.body) as { Intact: boolean; Records: number; FirstBad: string | null; Problem: string; WriteBlock?: string; ViewsMatch: boolean; ViewsDifferences: string[] };
  if (!v.Intact) problems.push(`journal not intact at ${v.FirstBad}: ${v.Problem}`);
  if (v.WriteBlock) problems.push(`journal refuses writes: ${v.WriteBlock}`);
  if (!v.ViewsMatch) problems.push(`views rebuilt from the journal differ from the live ones: ${v.ViewsDifferences.slice(0, 10).join('; ')}`);
  return v.Records;
}

// ---------------------------------------------------------------------------------------------

const d = new TestDaemon();
let registry: TestRegistry | undefined;
const model = new Model();
let setup: Setup | undefined;

before(async () => {
  console.log(`fault injection: seed ${SEED} (replay with WHARF_FAULT_SEED=${SEED}), ${ROUNDS} rounds, ${CLIENTS} clients`);
  registry = await TestRegistry.start();
  await d.start();
  d.importBusybox();
  const busyboxId = JSON.parse(d.dockerOk(['image', 'inspect', 'busybox']))[0].Id as string;
  // An image of its own in the registry (busybox plus one layer): each pull after an rmi fetches that layer again.
  const pullRef = `${registry.host}/fault/pullme:1`;
  d.dockerOk(['run', '--name', 'fault-seed', 'busybox', 'sh', '-c', 'echo pulled > /pulled']);
  const pullId = d.dockerOk(['commit', 'fault-seed', pullRef]).trim();
  d.dockerOk(['push', pullRef]);
  d.dockerOk(['rm', 'fault-seed']);
  d.dockerOk(['rmi', pullRef]);
  setup = { d, busyboxId, pullRef, pullId, run: SEED.toString(36).slice(-3).padStart(3, '0') };
});

after(async () => {
  // User networks' bridges go with their networks; cleanup removes any left (it knows every bridge the load named).
  if (d.proc && d.proc.exitCode === null && d.proc.signalCode === null) {
    for (const n of model.networks.values()) await call(d.sock, 'DELETE', `/networks/${n.name}`).catch(() => undefined);
  }
  await d.cleanup();
  await registry?.stop();
  // Whatever a failed run left with this run's prefix.
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (const m of links.matchAll(/^\d+: (wfz[0-9a-z]+)[:@]/gm)) {
    if (setup && m[1].startsWith(`wfz${setup.run}`)) spawnSync('ip', ['link', 'del', m[1]], { stdio: 'ignore' });
  }
});

test(`SIGKILL at random moments under a concurrent load: ${ROUNDS} rounds, every restart settled and true`, async () => {
  const s = setup!;
  const rng = prng(SEED);
  const started = Date.now();
  let events = 0;
  const boots: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const delay = Math.floor(50 + rng() * MAX_DELAY_MS);
    const stop = { now: false };
    const clients = Array.from({ length: CLIENTS }, (_, i) => client(s, model, prng((SEED ^ (round * 7919 + i * 104729)) >>> 0), i, stop));
    await sleep(delay);
    const p = d.proc!;
    const exited = new Promise((r) => p.once('exit', r));
    stop.now = true; // no new request; those in flight are cut by the kill
    p.kill('SIGKILL');
    await exited;
    await Promise.all(clients);

    const t0 = Date.now();
    const logFrom = d.log.length;
    await d.start(); // pings within its own bound (15 s) or throws
    const boot = Date.now() - t0;
    boots.push(boot);
    const problems: string[] = [];
    if (boot > BOOT_MS) problems.push(`boot took ${boot} ms`);
    const seen = await checkSettled(d, problems);
    await checkAcknowledged(d, model, seen, problems);
    events = checkEvents(d, problems);
    const records = await checkJournal(d, problems);
    // What the boot sweeps set aside (files a cut operation wrote before its fact): shown, not judged.
    const quarantined = await getJson<{ Items: unknown[] }>(d, '/wharf/v1/quarantine').then((q) => q.value?.Items.length ?? -1, () => -1);
    problems.push(...model.unexpected.splice(0).map((u) => `unexpected answer: ${u}`));
    // A container boot could not settle shows as created while the journal has it mid-start.
    for (const l of d.log.slice(logFrom).split('\n')) if (l.includes('cannot settle a container at boot')) problems.push(`boot: ${l.slice(0, 300)}`);
    console.log(`round ${round}: kill after ${delay} ms, boot ${boot} ms, ${seen.size} containers, ${model.acked} acked / ${model.cut} cut so far, ${events} events, ${records} records, ${quarantined} quarantined${problems.length ? `, ${problems.length} PROBLEMS` : ''}`);
    // The daemon's warnings and errors of this boot and round: shown, not judged (the checks judge).
    for (const l of d.log.slice(logFrom).split('\n')) if (/^\{"level":[4-6]0/.test(l) || (boot > 5000 && /^\{"level":30.*"msg":"(journal replayed|recovering container|wharfd ready|finishing|releasing)/.test(l))) console.log(`  wharfd: ${l.slice(0, 400)}`);
    if (problems.length) {
      console.log(d.log.split('\n').slice(-40).join('\n'));
      assert.fail(`round ${round} (seed ${SEED}, kill after ${delay} ms):\n  ${problems.join('\n  ')}`);
    }
    await d.rememberNetworks();
  }
  console.log(`fault injection: seed ${SEED}, ${ROUNDS} rounds in ${Math.round((Date.now() - started) / 1000)} s, boots ${Math.min(...boots)}-${Math.max(...boots)} ms, ${model.acked} acknowledged and ${model.cut} cut operations, ${events} events, ${model.runningOnNetworks} containers seen running on user networks`);
});
