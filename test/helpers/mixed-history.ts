import { createHash } from 'node:crypto';
import type { WharfEvent } from '../../src/domain/events';
import { prng } from './prng';

/**
 * A seeded, endless history of a busy host as journal batches (each one operation's events):
 * images pulled (layers, image, tag), tagged, untagged and deleted; containers created,
 * started, killed, died, renamed, health-checked, removed; execs; volumes and networks created
 * and removed. Live state stays bounded (at most ~300 containers, 60 images, 40 volumes, 8
 * networks), so the views stay the size of a host, not of its history. Every event matches its
 * schema (journal/schemas).
 */
export interface HistoryOptions {
  /** User-defined networks too (a daemon booting on them sets up their bridges). Default true. */
  networks?: boolean;
}

/** What a history has live now (read while generating). */
export interface LiveState {
  containers: { id: string; name: string; image: string; state: 'created' | 'running' | 'exited' }[];
  images: { id: string; refs: Set<string> }[];
}

export function* mixedHistory(seed = 1, opts: HistoryOptions = {}, live?: Partial<LiveState>): Generator<WharfEvent[]> {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const hex = (s: string) => createHash('sha256').update(`${seed}:${s}`).digest('hex');
  const sha = (s: string) => `sha256:${hex(s)}`;
  const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  let n = 0;
  const images: { id: string; refs: Set<string> }[] = [];
  const containers: { id: string; name: string; image: string; state: 'created' | 'running' | 'exited' }[] = [];
  const volumes: string[] = [];
  const networks: { id: string; name: string }[] = [];
  const removeAt = <T>(xs: T[], x: T) => xs.splice(xs.indexOf(x), 1);
  if (live) Object.assign(live, { containers, images });

  const pull = (): WharfEvent[] => {
    const k = ++n;
    const layers = [sha(`layer-a-${k % 7}`), sha(`layer-b-${k}`)];
    const id = sha(`image-${k}`);
    const ref = `registry.local:5000/app${k % 40}:v${k}`;
    images.push({ id, refs: new Set([ref]) });
    return [
      ...layers.map((l, i): WharfEvent => ({ type: 'layer.pulled', data: { id: l, chainId: sha(`chain-${l}-${i}`), digest: sha(`blob-${l}`), size: 1000 + i, repository: `registry.local:5000/app${k % 40}` } }) as WharfEvent),
      {
        type: 'image.pulled',
        data: {
          id, created: at(k), layers, layerSizes: [1000, 2000], size: 3000,
          config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['sh'], Labels: { n: String(k) } },
          comment: '', history: [{ created: at(k), created_by: 'ADD rootfs /' }], author: '',
          ref, repoDigest: `registry.local:5000/app${k % 40}@${sha(`manifest-${k}`)}`,
        },
      } as WharfEvent,
      { type: 'image.tagged', data: { id, ref } } as WharfEvent,
    ];
  };

  for (;;) {
    const r = rnd();
    if (images.length === 0 || (r < 0.04 && images.length < 60)) {
      yield pull();
    } else if (r < 0.1) {
      // tag moves: a fixed pool of refs, so tags are re-pointed, not only added
      const img = pick(images);
      const ref = `ci/build:${Math.floor(rnd() * 200)}`;
      for (const other of images) other.refs.delete(ref);
      img.refs.add(ref);
      yield [{ type: 'image.tagged', data: { id: img.id, ref } } as WharfEvent];
    } else if (r < 0.12) {
      const img = pick(images);
      const ref = [...img.refs][0];
      if (ref) {
        img.refs.delete(ref);
        yield [{ type: 'image.untagged', data: { id: img.id, ref } } as WharfEvent];
      }
    } else if (r < 0.13 && images.length > 30) {
      const img = images[0];
      if (!containers.some((c) => c.image === img.id)) {
        images.shift();
        yield [...[...img.refs].map((ref) => ({ type: 'image.untagged', data: { id: img.id, ref } }) as WharfEvent), { type: 'image.deleted', data: { id: img.id } } as WharfEvent];
      }
    } else if (r < 0.3 && containers.length < 300) {
      const k = ++n;
      const img = pick(images);
      const c = { id: hex(`container-${k}`), name: `c${k}`, image: img.id, state: 'created' as const };
      containers.push(c);
      yield [{
        type: 'container.created',
        data: {
          id: c.id, name: c.name, image: 'app', imageId: img.id, created: at(k), path: 'sh', args: ['-c', `echo ${k}`],
          config: { Hostname: c.id.slice(0, 12), Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false, Env: ['A=1'], Cmd: ['sh', '-c', `echo ${k}`], Image: 'app', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: { job: String(k % 13) } },
          hostConfig: { AutoRemove: false, NetworkMode: 'none', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, Privileged: false, ReadonlyRootfs: false, Binds: null },
        },
      } as WharfEvent];
    } else if (r < 0.93 && containers.length > 0) {
      const c = pick(containers);
      const k = ++n;
      if (c.state === 'created' || (c.state === 'exited' && rnd() < 0.3)) {
        c.state = 'running';
        yield [{ type: 'container.start-requested', data: { id: c.id } } as WharfEvent, { type: 'container.started', data: { id: c.id, pid: 1000 + (k % 30000), conmonPid: 999, startedAt: at(k) } } as WharfEvent];
      } else if (c.state === 'running') {
        const s = rnd();
        if (s < 0.25) {
          const x = hex(`exec-${k}`);
          yield [{ type: 'exec.created', data: { id: x, container: c.id, config: { Cmd: ['true'], Env: [], User: '', WorkingDir: '', Tty: false, AttachStdin: false, AttachStdout: true, AttachStderr: true, Privileged: false, DetachKeys: '' } } } as WharfEvent];
          yield [{ type: 'exec.started', data: { id: x, container: c.id, pid: 2000 + (k % 30000) } } as WharfEvent];
          yield [{ type: 'exec.died', data: { id: x, container: c.id, exitCode: k % 3 } } as WharfEvent];
        } else if (s < 0.35) {
          yield [{ type: 'container.health-status', data: { id: c.id, status: pick(['healthy', 'unhealthy']) } } as WharfEvent];
        } else {
          c.state = 'exited';
          yield [
            ...(s < 0.6 ? [{ type: 'container.kill-requested', data: { id: c.id, signal: '15' } } as WharfEvent] : []),
            { type: 'container.died', data: { id: c.id, exitCode: k % 4, finishedAt: at(k) } } as WharfEvent,
          ];
        }
      } else if (rnd() < 0.15) {
        const name = `r${k}`;
        yield [{ type: 'container.renamed', data: { id: c.id, oldName: c.name, name } } as WharfEvent];
        c.name = name;
      } else {
        removeAt(containers, c);
        yield [{ type: 'container.remove-requested', data: { id: c.id } } as WharfEvent, { type: 'container.destroyed', data: { id: c.id } } as WharfEvent];
      }
    } else if (r < 0.97) {
      const k = ++n;
      if (volumes.length < 40 && rnd() < 0.6) {
        const v = `vol${k}`;
        volumes.push(v);
        yield [{ type: 'volume.created', data: { id: v, driver: 'local', createdAt: at(k), labels: { k: String(k) }, options: null } } as WharfEvent];
      } else if (volumes.length) {
        const v = volumes.shift() as string;
        yield [{ type: 'volume.remove-requested', data: { id: v } } as WharfEvent, { type: 'volume.removed', data: { id: v } } as WharfEvent];
      }
    } else if (opts.networks !== false) {
      const k = ++n;
      if (networks.length < 8 && rnd() < 0.6) {
        const net = { id: hex(`network-${k}`), name: `net${k}` };
        networks.push(net);
        const o = k % 200;
        yield [{
          type: 'network.created',
          data: { id: net.id, name: net.name, driver: 'bridge', created: at(k), bridge: `br-${net.id.slice(0, 12)}`, subnet: `10.${100 + (o >> 4)}.${o & 15}.0/24`, gateway: `10.${100 + (o >> 4)}.${o & 15}.1`, internal: false, attachable: false, labels: {}, options: {} },
        } as WharfEvent];
      } else if (networks.length) {
        const net = networks.shift() as { id: string; name: string };
        yield [{ type: 'network.removed', data: { id: net.id, name: net.name } } as WharfEvent];
      }
    }
  }
}

/**
 * The first `records` events of a mixed history, in batches (the last one cut to fit). With
 * `settled`, it ends with every running container dead (a data root a daemon boots on
 * without settling anything), then tag moves to make up the count.
 */
export function* mixedBatches(records: number, seed = 1, opts: HistoryOptions & { settled?: boolean } = {}): Generator<WharfEvent[]> {
  let left = records;
  const live: Partial<LiveState> = {};
  for (const b of mixedHistory(seed, opts, live)) {
    if (left <= 0) return;
    // room left for a death per running container (at most 300) and the tags after them
    if (opts.settled && left - b.length < 350) break;
    const batch = b.slice(0, left);
    left -= batch.length;
    yield batch;
  }
  if (!opts.settled) return;
  const running = (live.containers ?? []).filter((c) => c.state === 'running');
  for (const c of running.slice(0, left)) {
    c.state = 'exited';
    yield [{ type: 'container.died', data: { id: c.id, exitCode: 0, finishedAt: new Date(Date.UTC(2027, 0, 1)).toISOString() } } as WharfEvent];
    left--;
  }
  const img = (live.images ?? [])[0];
  for (let i = 0; left > 0; i++, left--) yield [{ type: 'image.tagged', data: { id: img.id, ref: `settle/pad:${i}` } } as WharfEvent];
}
