import { invalidArgument } from '../../domain/errors';
import type { ImageConfig, WharfEvent } from '../../domain/events';
import type { ImageView } from '../../domain/image';
import { newId, shortId } from '../../domain/ids';
import { checkTaggable, familiarString, parseReference } from '../../domain/reference';
import type { ProgressSink } from '../lib/progress';
import { parseDockerfile, parseInstruction, type Dockerfile, type Instruction, type Stage } from '../../build/dockerfile';
import { evalMetaArgs, fromTarget, newStageState, unusedBuildArgs } from '../../build/instructions';
import { BuildScratch } from '../../build/step-rootfs';
import { asDaemon } from '../../journal/actor';
import { heading, imageByName, say, stepDone, type BuildImageDeps, type BuildRequest, type Run } from './build-run';
import { execute } from './build-steps';

export { BuildStepError, type BuildImageDeps, type BuildRequest } from './build-run';

/** Check the tags before any work: "name[:tag]" as Docker names them once built. */
export function buildTags(tags: string[]): string[] {
  return tags.map((t) => {
    const ref = parseReference(t);
    if (ref.digest) throw invalidArgument(`invalid reference format`);
    checkTaggable(ref);
    return familiarString(ref);
  });
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
