import { promises as fsp } from 'node:fs';
import type { ContainerView } from '../../domain/container';
import { invalidArgument } from '../../domain/errors';
import type { ContainerConfig, ImageConfig, WharfEvent } from '../../domain/events';
import type { ImageView } from '../../domain/image';
import { checkTag, checkTaggable, familiarString, parseReference } from '../../domain/reference';
import { nowRfc3339 } from '../../domain/time';
import { chainIds } from '../../images/store';
import { openDir } from '../../storage/scoped-fs';
import { packContents } from '../../storage/tar-pack';
import { opaqueDirs } from '../../storage/whiteouts';
import { getContainer } from '../lookup';
import { applyChanges } from '../images/image-changes';
import { pauseContainer, unpauseContainer } from './pause-container';
import { crashPoint } from '../lib/crash-point';

import type { EngineDeps } from '../ports';

/** What commit-container uses of the engine. */
export type CommitContainerDeps = Pick<EngineDeps, 'journal' | 'views' | 'runtime' | 'storage' | 'images' | 'log' | 'locks'>;
export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Freeze a running container while its changes are read (Docker's default). */
  pause: boolean;
  changes?: string[];
  /** Config overrides from the request body (the docker CLI sends none). */
  config?: Partial<ContainerConfig> | null;
}

/** The image config fields of a container config. */
function imageConfigOf(c: Partial<ContainerConfig>): ImageConfig {
  const out: ImageConfig = {};
  if (c.Env) out.Env = [...c.Env];
  if (c.Cmd !== undefined) out.Cmd = c.Cmd;
  if (c.Entrypoint !== undefined) out.Entrypoint = c.Entrypoint;
  if (c.WorkingDir) out.WorkingDir = c.WorkingDir;
  if (c.User) out.User = c.User;
  if (c.Labels) out.Labels = { ...c.Labels };
  if (c.ExposedPorts) out.ExposedPorts = { ...c.ExposedPorts };
  if (c.Volumes) out.Volumes = c.Volumes;
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.OnBuild) out.OnBuild = c.OnBuild;
  return out;
}

/**
 * The new image's config, as Docker's commit makes it: the request's config (or the
 * container's) with the --change instructions applied, its gaps filled from the container's
 * config (Env and Labels merged, the user's entries winning).
 */
export function commitConfig(container: ContainerConfig, body: Partial<ContainerConfig> | null | undefined, changes: string[]): ImageConfig {
  const cfg = applyChanges(imageConfigOf(body ?? container), changes);
  const base = imageConfigOf(container);
  if (!cfg.User && base.User) cfg.User = base.User;
  const env = cfg.Env ?? [];
  const keys = new Set(env.map((e) => e.split('=', 1)[0]));
  cfg.Env = [...env, ...(base.Env ?? []).filter((e) => !keys.has(e.split('=', 1)[0]))];
  if (base.Labels || cfg.Labels) cfg.Labels = { ...(base.Labels ?? {}), ...(cfg.Labels ?? {}) };
  if (base.ExposedPorts || cfg.ExposedPorts) cfg.ExposedPorts = { ...(base.ExposedPorts ?? {}), ...(cfg.ExposedPorts ?? {}) };
  if (!cfg.Entrypoint?.length) {
    if (!cfg.Cmd?.length) cfg.Cmd = base.Cmd ?? null;
    if (cfg.Entrypoint === undefined || cfg.Entrypoint === null) cfg.Entrypoint = base.Entrypoint ?? null;
  }
  if (!cfg.WorkingDir && base.WorkingDir) cfg.WorkingDir = base.WorkingDir;
  if (!cfg.Volumes && base.Volumes) cfg.Volumes = base.Volumes;
  if (!cfg.StopSignal && base.StopSignal) cfg.StopSignal = base.StopSignal;
  if (!cfg.OnBuild && base.OnBuild) cfg.OnBuild = base.OnBuild;
  return cfg;
}

function referenceOf(repo?: string, tag?: string): string | undefined {
  if (!repo) {
    if (tag) throw invalidArgument('invalid reference format: a tag needs a repository');
    return undefined;
  }
  const parsed = parseReference(repo);
  if (tag) {
    checkTag(tag);
    if (parsed.tag || parsed.digest) throw invalidArgument('invalid reference format');
    parsed.tag = tag;
  }
  if (parsed.digest) throw invalidArgument('refusing to create a tag with a digest reference');
  checkTaggable(parsed);
  return familiarString(parsed);
}

/** Tar the upper dir as a layer (overlay whiteouts as ".wh." entries) and store it on the parent's chain. */
async function layerFromUpper(ctx: CommitContainerDeps, c: ContainerView, parent: ImageView): Promise<{ diffId: string; size: number }> {
  await ctx.storage.refreshUpper(c.id);
  const upper = ctx.storage.upperDir(c.id);
  await fsp.mkdir(upper, { recursive: true }); // a container never started has changed nothing
  return layerFromDir(ctx, upper, parent.layers);
}

/** An overlay upper dir as a layer on top of parentLayers (diff ids, bottom first). */
export async function layerFromDir(ctx: CommitContainerDeps, upper: string, parentLayers: string[]): Promise<{ diffId: string; size: number }> {
  const opaque = await opaqueDirs(upper);
  const root = await openDir(upper);
  try {
    const { stream, done } = packContents(root, { overlayWhiteouts: { opaque } });
    const chains = chainIds(parentLayers);
    const [layer] = await Promise.all([ctx.images.ingestLayer(stream, chains[chains.length - 1]), done]);
    return layer;
  } finally {
    await root.close();
  }
}

/**
 * commit: the container's changes become one new layer on its image's layers; the image
 * config is the container's (with --change), history gets one entry. Then the reference is
 * tagged, if one was given. A running container is paused meanwhile unless pause is false.
 */
export async function commitContainer(ctx: CommitContainerDeps, ref: string, o: CommitOptions): Promise<string> {
  const c0 = getContainer(ctx.views, ref);
  const tagRef = referenceOf(o.repo, o.tag);
  const parent = ctx.views.images.images.get(c0.imageId);
  if (!parent) throw invalidArgument(`image ${c0.imageId} of container ${c0.id} is gone`);
  const config = commitConfig(c0.config, o.config, o.changes ?? []);
  // As Docker's, a pause that fails is no reason to fail the commit: a container exiting just
  // now ("is not running", a runc error) has nothing left to change, so its layer is read as it is.
  const pause =
    o.pause &&
    c0.status === 'running' &&
    (await pauseContainer(ctx, c0.id, { forCommit: true }).then(
      () => true,
      (e: Error) => {
        ctx.log.debug({ id: c0.id, err: e.message }, 'commit goes on without a pause');
        return false;
      },
    ));
  if (pause) crashPoint('commit.paused');
  let layer: { diffId: string; size: number };
  try {
    layer = await layerFromUpper(ctx, c0, parent);
  } finally {
    if (pause) await unpauseContainer(ctx, c0.id).catch((e: Error) => ctx.log.warn({ id: c0.id, err: e.message }, 'unpause after commit failed'));
  }
  const c = ctx.views.containers.get(c0.id) ?? c0;
  const created = nowRfc3339();
  const comment = o.comment ?? '';
  const author = o.author ?? '';
  const createdBy = [c.path, ...c.args].join(' ');
  const history = [...parent.history, { created, created_by: createdBy, ...(comment ? { comment } : {}) }];
  const layers = [...parent.layers, layer.diffId];
  const imageJson = {
    architecture: 'amd64',
    os: 'linux',
    created,
    author,
    config,
    container: c.id,
    rootfs: { type: 'layers', diff_ids: layers },
    history: history.map((h, i) => (i === history.length - 1 && author ? { ...h, author } : h)),
    ...(comment ? { comment } : {}),
  };
  const id = await ctx.images.putBlob(JSON.stringify(imageJson));
  crashPoint('commit.after-layer');
  const layerSizes = [...(parent.layerSizes ?? parent.layers.map((_, i) => (i === parent.layers.length - 1 ? parent.size : 0))), layer.size];
  const events: WharfEvent[] = [
    {
      type: 'image.committed',
      data: { id, created, layers, layerSizes, size: parent.size + layer.size, config, comment, history, parent: parent.id, author, container: c.id },
    },
  ];
  if (tagRef) events.push({ type: 'image.tagged', data: { id, ref: tagRef } });
  // Docker reports a commit as an event of the container: its name and image come along.
  await ctx.journal.append(events, { name: tagRef ?? '', containerName: c.name, containerImage: c.image });
  return id;
}
