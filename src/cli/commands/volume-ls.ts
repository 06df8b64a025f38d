import type { Command } from 'commander';
import type { Client, VolumeSummary } from '../../client/client';
import { collect, type CommandSpec, type IO } from '../command';
import { printList } from '../template';

export interface VolumeLsOptions {
  quiet: boolean;
  filter: string[];
  format?: string;
}

export function declareVolumeLs(cmd: Command): Command {
  return cmd
    .option('-f, --filter <filter>', "Provide filter values (e.g. 'dangling=true')", collect, [] as string[])
    .option('--format <string>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only display volume names', false);
}

const HEADERS: Record<string, string> = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
};

/** The row docker's volume formatter offers to templates. */
export function volumeRow(v: VolumeSummary): Record<string, string> {
  return {
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    Labels: Object.entries(v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).join(','),
    Links: 'N/A',
    Size: 'N/A',
  };
}

export function parseFilterFlags(flags: string[]): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  for (const f of flags) {
    const i = f.indexOf('=');
    if (i < 0) throw new Error(`bad format of filter (expected name=value)`);
    (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
  }
  return filters;
}

export async function runVolumeLs(o: VolumeLsOptions, client: Client, io: IO): Promise<number> {
  const { Volumes, Warnings } = await client.volumeList(parseFilterFlags(o.filter));
  for (const w of Warnings ?? []) io.stderr.write(`${w}\n`);
  const list = [...(Volumes ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  if (o.quiet) {
    for (const v of list) io.stdout.write(`${v.Name}\n`);
    return 0;
  }
  printList(io.stdout, o.format ?? 'table {{.Driver}}\t{{.Name}}', list.map(volumeRow), HEADERS);
  return 0;
}

export const volumeLs: CommandSpec<VolumeLsOptions> = {
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  description: 'List volumes',
  declare: declareVolumeLs,
  options: (_a, f) => ({ quiet: Boolean(f.quiet), filter: f.filter as string[], format: f.format as string | undefined }),
  run: runVolumeLs,
};
