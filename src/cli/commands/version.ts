import type { Command } from 'commander';
import { CLIENT_API_VERSION, type Client, type VersionResponse } from '../../client/client';
import { printError, type CommandSpec, type IO } from '../command';
import { execTemplate, parseTemplate } from '../template';

/** The CLI's own version (kept equal to WHARF_VERSION in src/daemon/daemon.ts; a test checks). */
export const CLI_VERSION = '0.1.0';

export interface VersionOptions {
  format?: string;
}

export function declareVersion(cmd: Command): Command {
  return cmd.option('-f, --format <string>', 'Format output using a custom template');
}

export function clientVersion(): Record<string, string> {
  return {
    Version: CLI_VERSION,
    ApiVersion: CLIENT_API_VERSION,
    DefaultAPIVersion: CLIENT_API_VERSION,
    GoVersion: `node${process.versions.node}`,
    GitCommit: 'wharf',
    BuildTime: '',
    Os: process.platform,
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    Context: 'default',
  };
}

/** Lines "key:  value" aligned like docker's tabwriter (minwidth 20, padding 1). */
function kv(rows: [string, string][]): string {
  const w = Math.max(20, ...rows.map(([k]) => k.length + 1));
  return rows.map(([k, v]) => `${k}${' '.repeat(w - k.length)}${v}\n`).join('');
}

export function renderVersion(client: Record<string, string>, server: VersionResponse | undefined): string {
  const lines: [string, string][] = [
    [' Version:', client.Version],
    [' API version:', client.ApiVersion],
    [' Node version:', process.version],
    [' Git commit:', client.GitCommit],
    [' Built:', client.BuildTime],
    [' OS/Arch:', `${client.Os}/${client.Arch}`],
    [' Context:', client.Context],
  ];
  let out = `Client:\n${kv(lines)}`;
  if (!server) return out;
  out += `\nServer: ${server.Platform?.Name ?? 'Wharf Engine'}\n`;
  const comps = server.Components?.length ? server.Components : [{ Name: 'Engine', Version: server.Version, Details: {} as Record<string, string> }];
  const rows: [string, string][] = [];
  for (const c of comps) {
    rows.push([` ${c.Name}:`, '']);
    const d = c.Details ?? {};
    if (c.Name === 'Engine') {
      rows.push(['  Version:', c.Version]);
      rows.push(['  API version:', `${server.ApiVersion} (minimum version ${server.MinAPIVersion ?? d.MinAPIVersion ?? ''})`]);
      rows.push(['  Go version:', server.GoVersion ?? '']);
      rows.push(['  Git commit:', server.GitCommit ?? '']);
      rows.push(['  Built:', server.BuildTime ?? '']);
      rows.push(['  OS/Arch:', `${server.Os}/${server.Arch}`]);
      rows.push(['  Experimental:', String(d.Experimental ?? server.Experimental ?? false)]);
    } else {
      rows.push(['  Version:', c.Version]);
      for (const [k, v] of Object.entries(d)) rows.push([`  ${k}:`, v]);
    }
  }
  // The component headers (" Engine:") carry no value and take no padding.
  out += kv(rows).replace(/^( \S+:) +$/gm, '$1');
  return out;
}

export async function runVersion(opts: VersionOptions, client: Client, io: IO): Promise<number> {
  const c = clientVersion();
  let server: VersionResponse | undefined;
  let err: unknown;
  try {
    server = await client.version();
  } catch (e) {
    err = e;
  }
  if (opts.format) {
    // Templates use the Go field names (APIVersion) besides the JSON ones (ApiVersion).
    const alias = <T extends object>(o: T, api: string): T => Object.defineProperty(o, 'APIVersion', { value: api, enumerable: false });
    const srv = server ? alias({ ...server }, server.ApiVersion) : null;
    if (srv && !srv.BuildTime) delete srv.BuildTime;
    io.stdout.write(`${execTemplate(parseTemplate(opts.format), { Client: alias({ ...c }, c.ApiVersion), Server: srv })}\n`);
  } else {
    io.stdout.write(renderVersion(c, server));
  }
  if (err) {
    printError(io, err);
    return 1;
  }
  return 0;
}

export const version: CommandSpec<VersionOptions> = {
  name: 'version',
  usage: '[OPTIONS]',
  description: 'Show the Wharf version information',
  declare: declareVersion,
  options: (_args, f) => ({ format: f.format as string | undefined }),
  run: runVersion,
};
