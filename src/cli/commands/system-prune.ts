import { collect, confirm, printError, type CommandSpec } from '../command';
import { humanSize4 } from '../json-progress';
import { parseFilterFlags } from './volume-ls';

interface SystemPruneOptions {
  all: boolean;
  force: boolean;
  volumes: boolean;
  filter: string[];
}

/** The question docker system prune asks, listing what goes. */
function warning(o: SystemPruneOptions): string {
  const items = [
    'all stopped containers',
    'all networks not used by at least one container',
    ...(o.volumes ? ['all anonymous volumes not used by at least one container'] : []),
    o.all ? 'all images without at least one container associated to them' : 'all dangling images',
    o.all ? 'all build cache' : 'unused build cache',
  ];
  const filtered = o.filter.length ? `\n  Items to be pruned will be filtered with:\n${o.filter.map((f) => `  - ${f}\n`).join('')}` : '';
  return `WARNING! This will remove:\n${items.map((i) => `  - ${i}\n`).join('')}${filtered}\nAre you sure you want to continue? [y/N] `;
}

/**
 * docker system prune: the prunes of containers, networks, (volumes,) images and build
 * cache in docker's order, each one's list printed, then the space they gave back.
 */
export const systemPrune: CommandSpec<SystemPruneOptions> = {
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove unused data',
  declare: (cmd) =>
    cmd
      .option('-a, --all', 'Remove all unused images not just dangling ones', false)
      .option('--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")', collect, [] as string[])
      .option('-f, --force', 'Do not prompt for confirmation', false)
      .option('--volumes', 'Prune anonymous volumes', false),
  options: (_a, f) => ({ all: Boolean(f.all), force: Boolean(f.force), volumes: Boolean(f.volumes), filter: f.filter as string[] }),
  run: async (o, client, io) => {
    try {
      const filters = parseFilterFlags(o.filter);
      if (!o.force && !(await confirm(io, warning(o)))) return 0;
      let reclaimed = 0;
      const section = (title: string, lines: string[]) => {
        if (lines.length) io.stdout.write(`${title}\n${lines.map((l) => `${l}\n`).join('')}\n`);
      };
      const c = await client.containerPrune(filters);
      section('Deleted Containers:', c.ContainersDeleted ?? []);
      if (c.ContainersDeleted?.length) reclaimed += c.SpaceReclaimed ?? 0;
      const n = await client.networkPrune(filters);
      section('Deleted Networks:', n.NetworksDeleted ?? []);
      if (o.volumes) {
        const v = await client.volumePrune(filters);
        section('Deleted Volumes:', v.VolumesDeleted ?? []);
        if (v.VolumesDeleted?.length) reclaimed += v.SpaceReclaimed ?? 0;
      }
      const i = await client.imagePrune({ ...filters, dangling: [String(!o.all)] });
      section('Deleted Images:', (i.ImagesDeleted ?? []).map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`)));
      if (i.ImagesDeleted?.length) reclaimed += i.SpaceReclaimed ?? 0;
      const b = await client.buildCachePrune(o.all);
      section('Deleted build cache objects:', b.CachesDeleted ?? []);
      reclaimed += b.SpaceReclaimed ?? 0;
      io.stdout.write(`Total reclaimed space: ${humanSize4(reclaimed)}\n`);
      return 0;
    } catch (e) {
      printError(io, e);
      return 1;
    }
  },
};
