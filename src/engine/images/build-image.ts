import { promises as fsp } from 'node:fs';
import { invalidArgument, notFound, WharfError } from '../../domain/errors';
import type { ImageConfig, WharfEvent } from '../../domain/events';
import type { ImageView } from '../../domain/image';
import { newId, shortId } from '../../domain/ids';
import { nowRfc3339 } from '../../domain/time';
import { checkTaggable, familiarString, parseReference } from '../../domain/reference';
import type { Credentials } from '../../registry/auth';
import type { ProgressSink } from '../lib/progress';
import { findCachedStep } from '../../build/build-cache';
import type { BuildContext } from '../../build/context';
import { copyInto, releaseSources, resolveSources, sourcesChecksum, type CopySpec } from '../../build/copy';
import { parseDockerfile, parseInstruction, type Dockerfile, type Instruction, type Stage } from '../../build/dockerfile';
import {
  applyMetadata,
  copyCreatedBy,
  copyStep,
  evalMetaArgs,
  fromTarget,
  isMetadataOnly,
  newStageState,
  runStep,
  unusedBuildArgs,
  type StageState,
} from '../../build/instructions';
import { BuildScratch } from '../../build/step-rootfs';
import { dirSize } from '../../storage/dir-size';
import { findImage } from '../lookup';
import { layerFromDir } from '../containers/commit-container';
import { createContainer, type CreateRequest } from '../containers/create-container';
import { planPull, runPull } from './pull-image';
import { readLogs } from '../containers/read-logs';
import { removeContainer } from '../containers/remove-container';
import { killContainer } from '../containers/kill-container';
import { crashPoint } from '../lib/crash-point';
import { startContainer } from '../containers/start-container';
import { waitContainer } from '../containers/wait-container';
import { asDaemon } from '../../journal/actor';

import type { EngineDeps } from '../ports';

/** What build-image uses of the engine. */
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

/** Check the tags before any work: "name[:tag]" as Docker names them once built. */
export function buildTags(tags: string[]): string[] {
  return tags.map((t) => {
    const ref = parseReference(t);
    if (ref.digest) throw invalidArgument(`invalid reference format`);
    checkTaggable(ref);
    return familiarString(ref);
  });
}

interface Run {
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
 * Build an image from a Dockerfile as Docker's classic builder does: each instruction is a
 * step on top of the previous step's image (a RUN in a container, COPY/ADD into a borrowed
 * root, metadata steps as config), each reused from the cache when it can be. Facts: the
 * build's start, each step's image (image.built for a new one) and outcome, its end.
 */
export async function buildImage(ctx: BuildImageDeps, req: BuildRequest, out: ProgressSink): Promise<string> {
  const df = parseDockerfile(req.context.dockerfileText, req.context.dockerfileName);
  checkStageNames(df);
  const labelInstructions = labelSteps(req.labels);
  const lastStage = targetStage(df, req.target);
  // M counts the steps of the stages built (up to the target) and the label steps.
  const steps = df.metaArgs.length + df.stages.slice(0, lastStage + 1).reduce((n, st) => n + 1 + st.instructions.length, 0) + labelInstructions.length;
  const run: Run = {
    ctx,
    req,
    out,
    id: newId(),
    df,
    scratch: new BuildScratch(ctx.buildsDir),
    metaArgs: evalMetaArgs(df.metaArgs, req.buildArgs),
    stages: new Map(),
    states: [],
    step: 0,
    pending: [],
    steps,
    stageIndex: 0,
  };
  await ctx.journal.append([
    {
      type: 'build.started',
      data: {
        id: run.id,
        context: req.contextDigest,
        ...(req.remote ? { remote: req.remote } : {}),
        dockerfile: req.context.dockerfileName,
        tags: req.tags,
        ...(req.target ? { target: req.target } : {}),
        buildArgs: Object.keys(req.buildArgs),
        noCache: req.noCache,
        steps,
      },
    },
  ]);
  try {
    const warnings = [...syntaxWarning(req.context.dockerfileText), ...df.warnings];
    if (warnings.length) say(run, `${warnings.join('\n')}\n`);
    // The meta ARGs are steps too, as the classic builder counts them.
    for (const a of df.metaArgs) heading(run, a);
    let image: ImageView | undefined;
    for (const stage of df.stages.slice(0, lastStage + 1)) {
      const extra = stage.index === lastStage ? labelInstructions : [];
      image = await buildStage(run, stage, extra);
      // Each stage's image, as Docker reports it (the client keeps the last).
      if (image) out.send({ aux: { ID: image.id } });
    }
    if (!image) throw invalidArgument('No image was generated. Is your Dockerfile empty?');
    const unused = unusedBuildArgs(run.states, req.buildArgs);
    if (unused.length) say(run, `[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    await finish(run, image);
    return image.id;
  } catch (e) {
    await ctx.journal
      .append([...run.pending.splice(0), { type: 'build.failed', data: { id: run.id, ...(run.step ? { step: run.step } : {}), error: (e as Error).message } }])
      .catch((err: Error) => ctx.log.warn({ err: err.message }, 'cannot record a failed build'));
    throw e;
  }
}

async function finish(run: Run, image: ImageView): Promise<void> {
  const { ctx, req } = run;
  const events: WharfEvent[] = [...run.pending.splice(0), { type: 'build.finished', data: { id: run.id, image: image.id, tags: req.tags } }];
  for (const t of req.tags) events.push({ type: 'image.tagged', data: { id: image.id, ref: t } });
  await ctx.journal.appendAll(events.map((e) => ({ events: [e], meta: { name: e.type === 'image.tagged' ? e.data.ref : image.id } })));
  say(run, `Successfully built ${shortId(image.id)}\n`);
  for (const t of req.tags) say(run, `Successfully tagged ${t}\n`);
}

/** Two stages of one name: which one a later FROM or COPY --from means would be a guess. */
function checkStageNames(df: Dockerfile): void {
  const seen = new Set<string>();
  for (const st of df.stages) {
    if (!st.name) continue;
    if (seen.has(st.name)) throw invalidArgument(`failed to parse Dockerfile: duplicate name ${st.name}`);
    seen.add(st.name);
  }
}

/** `# syntax=` names a BuildKit frontend: the classic builder ignores it, and says so. */
function syntaxWarning(text: string): string[] {
  for (const line of text.split('\n')) {
    const m = /^\s*#\s*([a-zA-Z]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) break; // directives come first, before any other line
    if (m[1].toLowerCase() === 'syntax') return [`[WARNING]: the "# syntax=${m[2]}" directive is ignored: frontends need BuildKit, and this is the classic builder`];
  }
  return [];
}

function targetStage(df: Dockerfile, target?: string): number {
  if (!df.stages.length) throw invalidArgument('Dockerfile contains no stages to build');
  if (!target) return df.stages.length - 1;
  const i = df.stages.findIndex((s) => s.name?.toLowerCase() === target.toLowerCase());
  if (i < 0) throw invalidArgument(`failed to reach build target ${target} in Dockerfile`);
  return i;
}

/**
 * --label: one LABEL step per label, sorted by key, at the end of the stage built last (the
 * target), as the classic builder adds them. Docker prints and records them unquoted
 * ("LABEL a=x y"); the step itself reads the pair as given.
 */
function labelSteps(labels: Record<string, string>): Instruction[] {
  return Object.keys(labels)
    .sort()
    .map((k) => ({ ...parseInstruction(`LABEL ${JSON.stringify(k).replace(/\$/g, '\\$')}=${JSON.stringify(labels[k]).replace(/\$/g, '\\$')}`), text: `LABEL ${k}=${labels[k]}` }));
}

async function buildStage(run: Run, stage: Stage, extra: Instruction[]): Promise<ImageView | undefined> {
  run.stageIndex = stage.index;
  heading(run, stage.from);
  const target = fromTarget(stage.from, run.metaArgs);
  let image = await baseImage(run, target.image, target.platform);
  const baseConfig: ImageConfig = image ? { ...image.config } : {};
  const triggers = baseConfig.OnBuild ?? [];
  // With triggers, Docker prints the image once they have run.
  if (image && !triggers.length) say(run, ` ---> ${shortId(image.id)}\n`);
  baseConfig.OnBuild = null;
  const state = newStageState(baseConfig, run.req.buildArgs, run.metaArgs, run.df.escape);
  if (image?.author) state.author = image.author;
  run.states.push(state);
  if (image) stepDone(run, stage.from.text, image, true, false);
  if (triggers.length) {
    say(run, `# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
    for (const [i, t] of triggers.entries()) image = await execute(run, state, image, parseInstruction(t), i < triggers.length - 1 ? 'trigger' : 'last-trigger');
  }
  for (const inst of [...stage.instructions, ...extra]) {
    heading(run, inst);
    image = await execute(run, state, image, inst, 'step');
  }
  run.stages.set(String(stage.index), image);
  if (stage.name) run.stages.set(stage.name.toLowerCase(), image);
  return image;
}

/** FROM: scratch, an earlier stage, or an image (pulled when missing, or always with --pull). */
async function baseImage(run: Run, name: string, platform?: string): Promise<ImageView | undefined> {
  if (name === 'scratch') return undefined;
  const key = name.toLowerCase();
  if (run.stages.has(key)) return run.stages.get(key);
  return imageByName(run, name, platform);
}

async function imageByName(run: Run, name: string, platform?: string): Promise<ImageView> {
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

/** One instruction: from the cache when it can be, else done; its image is the next step's parent. */
/** How a step's end is shown: a step prints its image; of a base image's triggers, only the last does. */
type StepKind = 'step' | 'trigger' | 'last-trigger';

async function execute(run: Run, state: StageState, parent: ImageView | undefined, inst: Instruction, kind: StepKind): Promise<ImageView> {
  if (inst.keyword === 'FROM') throw invalidArgument('FROM is not allowed here');
  if (isMetadataOnly(inst.keyword)) {
    const { createdBy } = applyMetadata(state, inst);
    return commitStep(run, state, parent, inst, { createdBy, layer: false, kind }, (make) => make());
  }
  if (inst.keyword === 'RUN') {
    const r = runStep(state, inst);
    return commitStep(run, state, parent, inst, { createdBy: r.createdBy, layer: true, kind }, async (make) => {
      const container = await runInContainer(run, state, parent, r);
      await run.ctx.storage.refreshUpper(container);
      const image = await make(run.ctx.storage.upperDir(container));
      await dropContainer(run, container, true);
      return image;
    });
  }
  if (inst.keyword === 'COPY' || inst.keyword === 'ADD') return copyFiles(run, state, parent, inst, kind);
  throw invalidArgument(`unknown instruction: ${inst.keyword}${kind === 'step' ? '' : ' (in a build trigger)'}`);
}

/**
 * A step's outcome: the cached image when one matches, else the work's: it does what the step
 * does and makes the new image on parent from the upper dir it wrote (none for metadata).
 */
async function commitStep(
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

function stepDone(run: Run, text: string, image: ImageView, cached: boolean, show: boolean): void {
  run.pending.push({ type: 'build.step', data: { id: run.id, step: run.step, stage: run.stageIndex, instruction: text, image: image.id, cached } });
  if (show) say(run, ` ---> ${shortId(image.id)}\n`);
}

async function newImage(run: Run, state: StageState, parent: ImageView | undefined, createdBy: string, upper?: string): Promise<ImageView> {
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

/** RUN: the command in a container of the parent image, with the build's network and limits; its changes are the layer. */
async function runInContainer(run: Run, state: StageState, parent: ImageView | undefined, r: { argv: string[]; env: string[] }): Promise<string> {
  const { ctx } = run;
  if (!parent) throw new BuildStepError(`The command '${r.argv.join(' ')}' returned a non-zero code: 127`, 127);
  const body: CreateRequest = {
    Image: parent.id,
    Cmd: r.argv,
    Entrypoint: [],
    Env: r.env,
    User: state.config.User ?? '',
    WorkingDir: state.config.WorkingDir ?? '',
    Healthcheck: { Test: ['NONE'] },
    HostConfig: { ...run.req.hostConfig },
  };
  const { id } = await createContainer(ctx, body);
  say(run, ` ---> Running in ${shortId(id)}\n`);
  let ok = false;
  try {
    const exited = waitContainer(ctx, id, 'next-exit');
    checkCancelled(run);
    await startContainer(ctx, id);
    crashPoint('build.running');
    // A client that goes away stops the step: its container is killed, the build fails.
    const kill = () => void killContainer(ctx, id, 'SIGKILL').catch(() => undefined);
    run.req.signal?.addEventListener('abort', kill, { once: true });
    try {
      for await (const entry of readLogs(ctx, id, { follow: true, partial: true })) {
        // stderr in red, as Docker's builder sends it.
        const text = entry.data.toString('utf8');
        run.out.send({ stream: entry.stream === 'stderr' ? `\u001b[91m${text}\u001b[0m` : text });
      }
    } finally {
      run.req.signal?.removeEventListener('abort', kill);
    }
    const code = await exited;
    checkCancelled(run);
    if (code !== 0) throw new BuildStepError(`The command '${r.argv.join(' ')}' returned a non-zero code: ${code}`, code);
    ok = true;
    return id;
  } finally {
    if (!ok) await dropContainer(run, id, false);
  }
}

/** Intermediate containers go after their step (--rm, the default; --force-rm too). */
async function dropContainer(run: Run, id: string, succeeded: boolean): Promise<void> {
  const { req } = run;
  // As the issue asks, a failed step's container goes too unless --rm=false kept them all
  // (Docker keeps a failed one unless --force-rm).
  if (!(req.forceRm || req.rm)) return;
  await removeContainer(run.ctx, id, { force: true, volumes: true }).catch((e: Error) => run.ctx.log.warn({ id, err: e.message }, 'cannot remove an intermediate container'));
  if (succeeded) say(run, `Removing intermediate container ${shortId(id)}\n`);
}

/** COPY / ADD: the files are checksummed first (the cache key), then written into a borrowed root. */
async function copyFiles(run: Run, state: StageState, parent: ImageView | undefined, inst: Instruction, kind: StepKind): Promise<ImageView> {
  const { ctx } = run;
  const c = copyStep(state, inst);
  const spec: CopySpec = { sources: c.sources, dest: c.dest, workdir: state.config.WorkingDir || '/', add: inst.keyword === 'ADD', chown: c.chown, chmod: c.chmod };
  const withSource = async <T>(fn: (srcRoot: string) => Promise<T>): Promise<T> => {
    if (!c.from) return fn(run.req.context.dir);
    const from = await copySourceImage(run, c.from);
    return run.scratch.withRootfs(ctx.images.lowerDirs(from?.layers ?? []), (r) => fn(r.path));
  };
  return withSource(async (srcRoot) => {
    // URLs are downloaded here (their content is the cache key) and deleted after the step.
    const resolved = await resolveSources(srcRoot, spec);
    try {
      const checksum = await sourcesChecksum(srcRoot, resolved);
      const createdBy = copyCreatedBy(state, inst, checksum, c.dest);
      return await commitStep(run, state, parent, inst, { createdBy, layer: true, kind }, (make) =>
        run.scratch.withRootfs(ctx.images.lowerDirs(parent?.layers ?? []), async (r) => {
          await copyInto(r.root, srcRoot, spec, resolved);
          crashPoint('build.copying');
          return make(r.upper);
        }),
      );
    } finally {
      await releaseSources(resolved);
    }
  });
}

/** COPY --from: an earlier stage by name or index, else an image. */
async function copySourceImage(run: Run, from: string): Promise<ImageView | undefined> {
  const key = from.toLowerCase();
  if (run.stages.has(key)) return run.stages.get(key);
  if (/^\d+$/.test(from)) throw invalidArgument(`invalid from flag value ${from}: refers to current build stage`);
  return imageByName(run, from).catch((e: Error) => {
    if (e instanceof WharfError) throw e;
    throw notFound(`invalid from flag value ${from}: ${e.message}`);
  });
}

function heading(run: Run, inst: Instruction): void {
  checkCancelled(run);
  run.step++;
  say(run, `Step ${run.step}/${run.steps} : ${inst.text}`);
  say(run, '\n');
}

function checkCancelled(run: Run): void {
  if (run.req.signal?.aborted) throw new WharfError('internal', 'context canceled');
}

function say(run: Run, text: string): void {
  run.out.send({ stream: text });
}

/**
 * Boot: a build the daemon was running when it stopped ended there. Its scratch (borrowed
 * roots, the received context) is the daemon's own and goes; its step images stay (cache);
 * a RUN container it had started is an ordinary container now, for the user to remove.
 */
export function settleBuilds(ctx: BuildImageDeps): Promise<void> {
  return asDaemon('recovery', () => settleOpenBuilds(ctx));
}

async function settleOpenBuilds(ctx: BuildImageDeps): Promise<void> {
  const swept = await new BuildScratch(ctx.buildsDir).sweep();
  if (swept) ctx.log.info({ count: swept }, 'removed the scratch of builds cut short');
  const open = [...ctx.views.openBuilds];
  if (!open.length) return;
  await ctx.journal.append(open.map((id) => ({ type: 'build.failed' as const, data: { id, error: 'the daemon stopped during the build' } })));
}
