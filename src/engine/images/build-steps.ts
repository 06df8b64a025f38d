import { invalidArgument, notFound, WharfError } from '../../domain/errors';
import type { ImageView } from '../../domain/image';
import { shortId } from '../../domain/ids';
import { copyInto, releaseSources, resolveSources, sourcesChecksum, type CopySpec } from '../../build/copy';
import type { Instruction } from '../../build/dockerfile';
import { applyMetadata, copyCreatedBy, copyStep, isMetadataOnly, runStep, type StageState } from '../../build/instructions';
import { createContainer, type CreateRequest } from '../containers/create-container';
import { readLogs } from '../containers/read-logs';
import { removeContainer } from '../containers/remove-container';
import { killContainer } from '../containers/kill-container';
import { crashPoint } from '../lib/crash-point';
import { startContainer } from '../containers/start-container';
import { waitContainer } from '../containers/wait-container';
import { checkCancelled, commitStep, imageByName, say, BuildStepError, type Run, type StepKind } from './build-run';

// The steps that do work: RUN (a container of the parent image) and COPY/ADD (files written
// into a borrowed root); metadata steps are config only.

/** One instruction: from the cache when it can be, else done; its image is the next step's parent. */
export async function execute(run: Run, state: StageState, parent: ImageView | undefined, inst: Instruction, kind: StepKind): Promise<ImageView> {
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

