import type { Command } from 'commander';
import type { Client, NetworkSummary } from '../../client/client';
import { collect, type CommandSpec, type IO } from '../command';
import { printList } from '../template';
import { parseFilterFlags } from './volume-ls';

export interface NetworkLsOptions {
  quiet: boolean;
  noTrunc: boolean;
  filter: string[];
  format?: string;
}

const HEADERS: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

/** The row docker's network formatter offers to templates. */
function networkRow(n: NetworkSummary, noTrunc: boolean): Record<string, string> {
  return {
    ID: noTrunc ? n.Id : n.Id.slice(0, 12),
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv4: String(n.EnableIPv4 ?? true),
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    CreatedAt: n.Created,
  };
}

/** sortorder.NaturalLess: digit runs compare as numbers. */
function naturalLess(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'variant', caseFirst: 'upper' });
}

export async function runNetworkLs(o: NetworkLsOptions, client: Client, io: IO): Promise<number> {
  const list = [...(await client.networkList(parseFilterFlags(o.filter)))].sort((a, b) => naturalLess(a.Name, b.Name));
  if (o.quiet) {
    for (const n of list) io.stdout.write(`${o.noTrunc ? n.Id : n.Id.slice(0, 12)}\n`);
    return 0;
  }
  printList(io.stdout, o.format ?? 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}', list.map((n) => networkRow(n, o.noTrunc)), HEADERS);
  return 0;
}

export const networkLs: CommandSpec<NetworkLsOptions> = {
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  description: 'List networks',
  declare: (cmd: Command) =>
    cmd
      .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', collect, [] as string[])
      .option('--format <string>', 'Format output using a custom template')
      .option('--no-trunc', 'Do not truncate the output')
      .option('-q, --quiet', 'Only display network IDs', false),
  options: (_a, f) => ({ quiet: Boolean(f.quiet), noTrunc: f.trunc === false, filter: f.filter as string[], format: f.format as string | undefined }),
  run: runNetworkLs,
};
