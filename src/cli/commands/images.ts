import type { Command } from 'commander';
import type { Client, ImageSummary } from '../../client/client';
import { collect, type CommandSpec, type IO } from '../command';
import { ago, humanSize, shortId, table } from '../format';
import { splitRepoTag } from '../reference';
import { printList } from '../template';

export interface ImagesOptions {
  reference?: string;
  all: boolean;
  quiet: boolean;
  noTrunc: boolean;
  digests: boolean;
  filter: string[];
  format?: string;
}

export function declareImages(cmd: Command): Command {
  return cmd
    .argument('[reference]', 'REPOSITORY[:TAG]')
    .option('-a, --all', 'Show all images (default hides intermediate images)', false)
    .option('--digests', 'Show digests', false)
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [] as string[])
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs', false);
}

/** One row per repository:tag, like docker's image formatter. */
export interface ImageRow {
  ID: string;
  Repository: string;
  Tag: string;
  Digest: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  Containers: string;
  SharedSize: string;
  UniqueSize: string;
  VirtualSize: string;
}

const HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
};

export function imageRows(images: ImageSummary[], noTrunc: boolean, now = Date.now(), showDigests = false): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const base = {
      ID: noTrunc ? img.Id : shortId(img.Id),
      Digest: '<none>',
      CreatedSince: ago(img.Created, now),
      CreatedAt: new Date(img.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
      Size: humanSize(img.Size),
      Containers: img.Containers === undefined || img.Containers < 0 ? 'N/A' : String(img.Containers),
      // go-units HumanSize (4 significant digits) for these three, as docker's image formatter.
      SharedSize: img.SharedSize === undefined || img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize, 4),
      UniqueSize: img.SharedSize === undefined || img.SharedSize < 0 ? 'N/A' : humanSize(img.Size - img.SharedSize, 4),
      VirtualSize: humanSize(img.VirtualSize ?? img.Size, 4),
    };
    // As docker's image formatter: a row per tag (per tag and digest of its repository with
    // --digests), then the repositories known only by a digest.
    const digests = new Map<string, string[]>();
    for (const d of (img.RepoDigests ?? []).filter((x) => x !== '<none>@<none>')) {
      const { repo, digest } = splitRepoTag(d);
      if (digest) digests.set(repo, [...(digests.get(repo) ?? []), digest]);
    }
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    for (const t of tags) {
      const { repo, tag } = splitRepoTag(t);
      const ofRepo = showDigests ? digests.get(repo) ?? [] : [];
      if (!ofRepo.length) rows.push({ ...base, Repository: repo, Tag: tag ?? '<none>' });
      for (const d of ofRepo) rows.push({ ...base, Repository: repo, Tag: tag ?? '<none>', Digest: d });
    }
    for (const t of tags) digests.delete(splitRepoTag(t).repo);
    for (const [repo, ds] of digests) {
      if (showDigests) for (const d of ds) rows.push({ ...base, Repository: repo, Tag: '<none>', Digest: d });
      else rows.push({ ...base, Repository: repo, Tag: '<none>' });
    }
    if (!tags.length && !digests.size) rows.push({ ...base, Repository: '<none>', Tag: '<none>' });
  }
  return rows;
}

export async function runImages(opts: ImagesOptions, client: Client, io: IO): Promise<number> {
  const filters: Record<string, string[]> = {};
  for (const f of opts.filter) {
    const i = f.indexOf('=');
    if (i < 0) throw new Error(`bad format of filter (expected name=value)`);
    (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
  }
  if (opts.reference) (filters.reference ??= []).push(opts.reference);
  const images = await client.imageList({ all: opts.all, filters });
  if (opts.quiet) {
    const seen = new Set<string>();
    for (const img of images) {
      const id = opts.noTrunc ? img.Id : shortId(img.Id);
      if (seen.has(id)) continue;
      seen.add(id);
      io.stdout.write(`${id}\n`);
    }
    return 0;
  }
  const rows = imageRows(images, opts.noTrunc, Date.now(), opts.digests);
  if (opts.format) {
    printList(io.stdout, opts.format, rows, HEADERS);
    return 0;
  }
  const header = opts.digests ? ['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE'] : ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];
  const body = rows.map((r) => (opts.digests ? [r.Repository, r.Tag, r.Digest, r.ID, r.CreatedSince, r.Size] : [r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size]));
  io.stdout.write(table([header, ...body]));
  return 0;
}

export const images: CommandSpec<ImagesOptions> = {
  name: 'images',
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  declare: declareImages,
  options: (a, f) => ({
    reference: a[0] as string | undefined,
    all: Boolean(f.all),
    quiet: Boolean(f.quiet),
    noTrunc: f.trunc === false,
    digests: Boolean(f.digests),
    filter: f.filter as string[],
    format: f.format as string | undefined,
  }),
  run: runImages,
};
