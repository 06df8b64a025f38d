// A build in progress (Run) and what every step shares: the cache lookup and the new image
// of a step (commitStep, newImage), the step headings and the stream.
import { promises as fsp } from 'node:fs';
import { WharfError } from '../../domain/errors';
import type { WharfEvent } from '../../domain/events';
import type { ImageView } from '../../domain/image';
import { shortId } from '../../domain/ids';
import { nowRfc3339 } from '../../domain/time';
import type { Credentials } from '../../registry/auth';
import type { ProgressSink } from '../lib/progress';
import { findCachedStep } from '../../build/build-cache';
import type { BuildContext } from '../../build/context';
import type { Dockerfile, Instruction } from '../../build/dockerfile';
import type { StageState } from '../../build/instructions';
import { BuildScratch } from '../../build/step-rootfs';
import { dirSize } from '../../storage/dir-size';
import { findImage } from '../lookup';
import { layerFromDir } from '../containers/commit-container';
import { planPull, runPull } from './pull-image';
import type { EngineDeps } from '../ports';

/** What a build uses of the engine. */
export type BuildImageDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'images' | 'volumes' | 'containersDir' | 'buildsDir' | 'hostLimits' | 'log' | 'locks' | 'network' | 'netDefaults' | 'bootTime' | 'portProxy' | 'restarts' | 'quarantine' | 'logDefaults' | 'registry'>;
export interface BuildRequest {
  context: BuildContext;
  /** sha256 of the context as received. */
  contextDigest: string;
  remote?: string;
  tags: string[];
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  /** Remove intermediate containers after a step (default), and after a failed one too. */
  rm: boolean;
  forceRm: boolean;
  pull: boolean;
  cacheFrom: string[];
  /** What RUN containers get: NetworkMode and the resource limits of the request. */
  hostConfig: Record<string, unknown>;
  credsFor: (image: string) => Credentials | undefined;
  /** Aborted when the client goes away: the build stops, as Docker's does ("context canceled"). */
  signal?: AbortSignal;
}

/** A step that failed: Docker's message, and a RUN's exit code for the stream's errorDetail. */
export class BuildStepError extends WharfError {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super('invalid-argument', message);
  }
}

/** How a step's end is shown: a step prints its image; of a base image's triggers, only the last does. */
export type StepKind = 'step' | 'trigger' | 'last-trigger';

export interface Run {
  ctx: BuildImageDeps;
  req: BuildRequest;
  out: ProgressSink;
  id: string;
  df: Dockerfile;
  scratch: BuildScratch;
  metaArgs: Map<string, string | undefined>;
  /** Images of the stages built so far, by index and by name. */
  stages: Map<string, ImageView | undefined>;
  states: StageState[];
  step: number;
  /**
   * build.step records not yet written: a step's record waits for the next write of the build
   * (before the next step that does work, or the build's end), so a fully cached build is two
   * writes, not one per step. A crash loses only records of steps that changed nothing.
   */
  pending: WharfEvent[];
  /** The M of "Step N/M". */
  steps: number;
  stageIndex: number;
}

/**
 * A step's outcome: the cached image when one matches, else the work's: it does what the step
 * does and makes the new image on parent from the upper dir it wrote (none for metadata).
 */
export async function commitStep(
  run: Run,
  state: StageState,
  parent: ImageView | undefined,
  inst: Instruction,
  o: { createdBy: string; layer: boolean; kind: StepKind },
  work: (make: (upper?: string) => Promise<ImageView>) => Promise<ImageView>,
): Promise<ImageView> {
  const { ctx } = run;
  const key = { parent, createdBy: o.createdBy, config: state.config, author: state.author ?? '', layer: o.layer };
  if (!run.req.noCache) {
    const hit = findCachedStep(candidates(run), key);
    if (hit && (await layersPresent(ctx, hit))) {
      say(run, ' ---> Using cache\n');
      stepDone(run, inst.text, hit, true, o.kind !== 'trigger');
      return hit;
    }
  }
  // The steps so far are written before this one does anything (an audit of a build cut short shows them).
  if (run.pending.length) await ctx.journal.append(run.pending.splice(0));
  const image = await work((upper) => newImage(run, state, parent, o.createdBy, upper));
  stepDone(run, inst.text, image, false, o.kind !== 'trigger');
  return image;
}

/** The images a step may reuse: every local one, and with --cache-from only the ancestry of those named. */
function candidates(run: Run): Iterable<ImageView> {
  const all = run.ctx.views.images.images;
  if (!run.req.cacheFrom.length) return all.values();
  const out = new Map<string, ImageView>();
  for (const name of run.req.cacheFrom) {
    let img = findImage(run.ctx.views, name);
    while (img && !out.has(img.id)) {
      out.set(img.id, img);
      img = img.parent ? all.get(img.parent) : undefined;
    }
  }
  return out.values();
}

async function layersPresent(ctx: BuildImageDeps, img: ImageView): Promise<boolean> {
  if (!img.layers.length) return true;
  return fsp.access(ctx.images.lowerDirs(img.layers)[0]).then(() => true, () => false);
}

export function stepDone(run: Run, text: string, image: ImageView, cached: boolean, show: boolean): void {
  run.pending.push({ type: 'build.step', data: { id: run.id, step: run.step, stage: run.stageIndex, instruction: text, image: image.id, cached } });
  if (show) say(run, ` ---> ${shortId(image.id)}\n`);
}

export async function newImage(run: Run, state: StageState, parent: ImageView | undefined, createdBy: string, upper?: string): Promise<ImageView> {
  const { ctx } = run;
  // A layer's size is what its files hold (as Docker's history shows it), not its tar's.
  const layer = upper ? { ...(await layerFromDir(ctx, upper, parent?.layers ?? [])), size: await dirSize(upper) } : undefined;
  const created = nowRfc3339();
  const author = state.author ?? '';
  const history = [...(parent?.history ?? []), { created, created_by: createdBy, ...(layer ? {} : { empty_layer: true }) }];
  const layers = [...(parent?.layers ?? []), ...(layer ? [layer.diffId] : [])];
  const parentSizes = parent ? parent.layerSizes ?? parent.layers.map((_, i) => (i === parent.layers.length - 1 ? parent.size : 0)) : [];
  const layerSizes = [...parentSizes, ...(layer ? [layer.size] : [])];
  const config = structuredClone(state.config);
  const imageJson = {
    architecture: 'amd64',
    os: 'linux',
    created,
    ...(author ? { author } : {}),
    config,
    rootfs: { type: 'layers', diff_ids: layers },
    history,
    ...(parent ? { parent: parent.id } : {}),
  };
  const id = await ctx.images.putBlob(JSON.stringify(imageJson));
  const size = (parent?.size ?? 0) + (layer?.size ?? 0);
  await ctx.journal.append(
    [{ type: 'image.built', data: { id, created, layers, layerSizes, size, config, comment: '', history, ...(parent ? { parent: parent.id } : {}), author, build: run.id } }],
    { name: id },
  );
  return ctx.views.images.images.get(id)!;
}

export async function imageByName(run: Run, name: string, platform?: string): Promise<ImageView> {
  const { ctx } = run;
  const local = findImage(ctx.views, name);
  if (local && !run.req.pull) return local;
  try {
    const plan = await planPull(ctx, { image: name, platform, creds: run.req.credsFor(name) });
    const { id } = await runPull(ctx, plan, run.out);
    return ctx.views.images.images.get(id)!;
  } catch (e) {
    if (local) return local; // --pull with the registry unreachable: the local image, as Docker does
    throw e;
  }
}

export function heading(run: Run, inst: Instruction): void {
  checkCancelled(run);
  run.step++;
  say(run, `Step ${run.step}/${run.steps} : ${inst.text}`);
  say(run, '\n');
}

export function checkCancelled(run: Run): void {
  if (run.req.signal?.aborted) throw new WharfError('internal', 'context canceled');
}

export function say(run: Run, text: string): void {
  run.out.send({ stream: text });
}

