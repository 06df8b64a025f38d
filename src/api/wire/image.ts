import type { ImageSummary } from '../../wire/docker';
import type { ImageView } from '../../domain/image';
import { parseReference } from '../../domain/reference';

/** RepoTags as dockerd lists them: sorted by the full reference (docker.io/library/busybox:latest), whatever order they were tagged in. */
export function repoTags(tags: readonly string[]): string[] {
  const full = (t: string) => {
    try {
      const r = parseReference(t);
      return `${r.domain}/${r.path}:${r.tag ?? ''}`;
    } catch {
      return t;
    }
  };
  return tags.map((t) => [full(t), t] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
}

const secs = (t: string) => Math.floor(Date.parse(t) / 1000);

/** API versions before 1.44 also carry VirtualSize (= Size), as dockerd still sends them (cri-dockerd reads it). */
export interface ImageWireOptions {
  virtualSize?: boolean;
}

export function toImageSummary(img: ImageView, containers = -1, o: ImageWireOptions = {}): ImageSummary {
  return {
    Id: img.id,
    ParentId: '',
    RepoTags: repoTags(img.tags),
    RepoDigests: img.repoDigests ?? [],
    Created: secs(img.created),
    Size: img.size,
    ...(o.virtualSize ? { VirtualSize: img.size } : {}),
    SharedSize: -1,
    Labels: img.config.Labels ?? null,
    Containers: containers,
  };
}

export function toImageInspect(img: ImageView, lowerDirs: string[], o: ImageWireOptions = {}): Record<string, unknown> {
  const c = img.config;
  return {
    Id: img.id,
    RepoTags: repoTags(img.tags),
    RepoDigests: img.repoDigests ?? [],
    Parent: img.parent ?? '',
    Comment: img.comment,
    Created: img.created,
    DockerVersion: '',
    Author: img.author ?? '',
    Config: {
      Hostname: '',
      Domainname: '',
      User: c.User ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: c.Env ?? null,
      Cmd: c.Cmd ?? null,
      Image: '',
      Volumes: c.Volumes ?? null,
      WorkingDir: c.WorkingDir ?? '',
      Entrypoint: c.Entrypoint ?? null,
      OnBuild: c.OnBuild ?? null,
      Labels: c.Labels ?? null,
      ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
      ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
      ...(c.Shell?.length ? { Shell: c.Shell } : {}),
    },
    Architecture: img.platform?.architecture ?? 'amd64',
    ...(img.platform?.variant ? { Variant: img.platform.variant } : {}),
    Os: img.platform?.os ?? 'linux',
    Size: img.size,
    ...(o.virtualSize ? { VirtualSize: img.size } : {}),
    GraphDriver: { Name: 'overlay2', Data: { LowerDir: lowerDirs.join(':') } },
    RootFS: { Type: 'layers', Layers: img.layers },
    Metadata: { LastTagTime: img.lastTagTime || '0001-01-01T00:00:00Z' },
  };
}
