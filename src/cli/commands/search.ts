import type { Command } from 'commander';
import type { Client, SearchResult } from '../../client/client';
import { collect, int, PROG, UsageError, type CommandSpec, type IO } from '../command';
import { configDir, registryAuthFor } from '../docker-config';
import { ellipsis } from '../format';
import { printList } from '../template';
import { parseFilterFlags } from './volume-ls';

export interface SearchOptions {
  term: string;
  noTrunc: boolean;
  limit: number;
  filter: string[];
  format?: string;
  config?: string;
}

const HEADERS: Record<string, string> = { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL' };

/** The registry a search term names (registry.ParseSearchIndexInfo): "host:5000/x" → host:5000, else Docker Hub. */
export function searchDomain(term: string): string {
  const parts = term.split('/');
  if (parts.length === 1 || (!parts[0].includes('.') && !parts[0].includes(':') && parts[0] !== 'localhost')) return 'docker.io';
  return parts[0];
}

/** The fields of docker's search formatter (IsOfficial "[OK]" in tables, "true"/"false" in JSON). */
export function searchRow(r: SearchResult, trunc: boolean, json = false): Record<string, string> {
  const desc = (r.description ?? '').replace(/\n/g, ' ').replace(/\r/g, ' ');
  return {
    Name: r.name,
    Description: trunc ? ellipsis(desc, 45) : desc,
    StarCount: String(r.star_count ?? 0),
    IsOfficial: json ? String(Boolean(r.is_official)) : r.is_official ? '[OK]' : '',
  };
}

export async function runSearch(o: SearchOptions, client: Client, io: IO): Promise<number> {
  const filters = parseFilterFlags(o.filter);
  if (filters['is-automated']) io.stderr.write('WARNING: the "is-automated" filter is deprecated, and searching for "is-automated=true" will not yield any results in future.\n');
  const results = await client.imageSearch(o.term, {
    limit: o.limit > 0 ? o.limit : undefined,
    filters,
    registryAuth: registryAuthFor(configDir(o.config), searchDomain(o.term)),
  });
  const trunc = !o.noTrunc;
  const format = !o.format || o.format === 'table' ? 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}' : o.format;
  const json = format === 'json' || /\{\{\s*json\s+\.\s*\}\}/.test(format);
  printList(io.stdout, format, (results ?? []).map((x) => searchRow(x, trunc, json)), HEADERS);
  return 0;
}

export const search: CommandSpec<SearchOptions> = {
  name: 'search',
  usage: '[OPTIONS] TERM',
  description: 'Search Docker Hub for images',
  declare: (cmd: Command) =>
    cmd
      .argument('[args...]', 'TERM')
      .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [] as string[])
      .option('--format <string>', 'Pretty-print search using a Go template')
      .option('--limit <int>', 'Max number of search results', int, 0)
      .option('--no-trunc', "Don't truncate output"),
  options: (a, f) => {
    const args = (a[0] as string[]) ?? [];
    if (args.length !== 1) throw new UsageError(`'${PROG} search' requires 1 argument`);
    return { term: args[0], noTrunc: f.trunc === false, limit: Number(f.limit ?? 0), filter: f.filter as string[], format: f.format as string | undefined, config: f.config as string | undefined };
  },
  run: runSearch,
};
