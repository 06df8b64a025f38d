import type { Client, ContainerSummary, DiskUsage, ImageSummary } from '../../client/client';
import { type CommandSpec, type IO } from '../command';
import { table } from '../format';
import { humanSize4 } from '../json-progress';
import { execTemplate, parseTemplate, printList, renderList, sortKeys } from '../template';
import { imageRows } from './images';
import { containerRow } from './ps';
import { volumeRow } from './volume-ls';
import { familiarName, parseNormalizedNamed } from '../docker-config';

const SUMMARY_HEADERS: Record<string, string> = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

const pct = (reclaimable: number, total: number) => (total > 0 ? `${humanSize4(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)` : humanSize4(reclaimable));

/** The four rows of docker system df: images, containers, local volumes, build cache. */
export function dfSummary(du: DiskUsage): Record<string, string>[] {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  const cache = du.BuildCache ?? [];
  const total = du.LayersSize ?? 0;
  let used = 0;
  for (const i of images) if ((i.Containers ?? 0) !== 0 && i.Size !== -1 && i.SharedSize !== -1) used += i.Size - (i.SharedSize ?? 0);
  const active = (c: ContainerSummary) => ['running', 'paused', 'restarting'].includes(c.State);
  const cSize = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const cReclaim = containers.reduce((n, c) => n + (active(c) ? 0 : c.SizeRw ?? 0), 0);
  let vSize = 0;
  let vReclaim = 0;
  for (const v of volumes) {
    const s = v.UsageData?.Size ?? -1;
    if (s === -1) continue;
    vSize += s;
    if ((v.UsageData?.RefCount ?? 0) === 0) vReclaim += s;
  }
  const builderSize = cache.reduce((n, b) => n + (b.Shared ? 0 : b.Size), 0);
  const inUse = cache.reduce((n, b) => n + (b.InUse && !b.Shared ? b.Size : 0), 0);
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(images.filter((i) => (i.Containers ?? 0) > 0).length), Size: humanSize4(total), Reclaimable: pct(total - used, total) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.filter(active).length), Size: humanSize4(cSize), Reclaimable: pct(cReclaim, cSize) },
    { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize4(vSize), Reclaimable: pct(vReclaim, vSize) },
    { Type: 'Build Cache', TotalCount: String(cache.length), Active: String(cache.filter((b) => b.InUse).length), Size: humanSize4(builderSize), Reclaimable: humanSize4(builderSize - inUse) },
  ];
}

/** An image row of the verbose output: the first tag only (familiar name), as docker shows it. */
function dfImageRow(i: ImageSummary, trunc: boolean): Record<string, string> {
  const row = imageRows([{ ...i, RepoTags: [], RepoDigests: [] }], !trunc)[0] as unknown as Record<string, string>;
  const tags = (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
  let repo = '<none>';
  let tag = '<none>';
  if (tags.length) {
    try {
      const r = parseNormalizedNamed(tags[0]);
      if (r.tag !== undefined) {
        repo = familiarName(r);
        tag = r.tag;
      }
    } catch {
      // left as <none>
    }
  }
  return { ...row, Repository: repo, Tag: tag, Digest: '' };
}

function dfContainerRow(c: ContainerSummary, trunc: boolean): Record<string, unknown> {
  const row = containerRow({ ...c, SizeRootFs: 0 }, trunc) as unknown as Record<string, unknown>;
  const mounts = (c.Mounts ?? []) as { Driver?: string }[];
  row.LocalVolumes = String(mounts.filter((m) => m.Driver === 'local').length);
  return row;
}

function dfVolumeRow(v: NonNullable<DiskUsage['Volumes']>[number]): Record<string, string> {
  return {
    ...volumeRow(v),
    // The cluster volume fields of docker's volume formatter (local volumes have none).
    Availability: 'N/A',
    Group: 'N/A',
    Status: 'N/A',
    Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
    Size: v.UsageData ? humanSize4(v.UsageData.Size) : 'N/A',
  };
}

const IMAGE_HEADERS = { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' };
const CONTAINER_HEADERS = { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES' };
const VOLUME_HEADERS = { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' };
const CACHE_HEADER = ['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED'];

function section<T>(rows: T[], headers: Record<string, string>, format: string): string {
  const r = renderList(format, rows, headers);
  return r.table ? table(r.table) : r.text ?? '';
}

export async function runSystemDf(o: { verbose: boolean; format?: string }, client: Client, io: IO): Promise<number> {
  const du = await client.systemDf();
  const format = o.format || 'table';
  if (!o.verbose) {
    printList(io.stdout, format === 'table' ? 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}' : format, dfSummary(du), SUMMARY_HEADERS);
    return 0;
  }
  if (format === 'table') {
    const builderSize = (du.BuildCache ?? []).reduce((n, b) => n + (b.Shared ? 0 : b.Size), 0);
    let out = 'Images space usage:\n\n';
    out += section((du.Images ?? []).map((i) => dfImageRow(i, true)), IMAGE_HEADERS, 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}');
    out += '\nContainers space usage:\n\n';
    out += section((du.Containers ?? []).map((c) => dfContainerRow(c, true)), CONTAINER_HEADERS, 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}');
    out += '\nLocal Volumes space usage:\n\n';
    out += section((du.Volumes ?? []).map(dfVolumeRow), VOLUME_HEADERS, 'table {{.Name}}\t{{.Links}}\t{{.Size}}');
    out += `\nBuild cache usage: ${humanSize4(builderSize)}\n\n`;
    out += table([CACHE_HEADER]);
    io.stdout.write(out);
    return 0;
  }
  // A custom template runs once over everything (no newline added, as docker).
  const data = {
    Images: (du.Images ?? []).map((i) => sortKeys(dfImageRow(i, false))),
    Containers: (du.Containers ?? []).map((c) => sortKeys(dfContainerRow(c, false))),
    Volumes: (du.Volumes ?? []).map((v) => sortKeys(dfVolumeRow(v))),
    BuildCache: [],
  };
  io.stdout.write(execTemplate(parseTemplate(format === 'json' ? '{{json .}}' : format), data));
  return 0;
}

export const systemDf: CommandSpec<{ verbose: boolean; format?: string }> = {
  name: 'df',
  usage: '[OPTIONS]',
  description: 'Show docker disk usage',
  declare: (cmd) => cmd.option('--format <string>', 'Format output using a custom template').option('-v, --verbose', 'Show detailed information on space usage', false),
  options: (_a, f) => ({ verbose: Boolean(f.verbose), format: f.format as string | undefined }),
  run: runSystemDf,
};

