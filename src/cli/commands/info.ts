import type { Command } from 'commander';
import type { Client, InfoResponse } from '../../client/client';
import { printError, type CommandSpec, type IO } from '../command';
import { formatG } from '../format';
import { execTemplate, parseTemplate } from '../template';
import { CLI_VERSION } from './version';

export interface InfoOptions {
  format?: string;
  debug?: boolean;
}

export function declareInfo(cmd: Command): Command {
  return cmd.option('-f, --format <string>', 'Format output using a custom template');
}

/** go-units BytesSize: 1024-based, "23.54GiB". */
export function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${formatG(v, 4)}${units[i]}`;
}

const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));

export function renderInfo(i: InfoResponse): string {
  const out: string[] = [];
  const line = (indent: number, k: string, v?: unknown) => out.push(`${' '.repeat(indent)}${k}:${v === undefined ? '' : ` ${s(v)}`}`);
  line(1, 'Containers', i.Containers ?? 0);
  line(2, 'Running', i.ContainersRunning ?? 0);
  line(2, 'Paused', i.ContainersPaused ?? 0);
  line(2, 'Stopped', i.ContainersStopped ?? 0);
  line(1, 'Images', i.Images ?? 0);
  line(1, 'Server Version', i.ServerVersion);
  line(1, 'Storage Driver', i.Driver);
  for (const [k, v] of i.DriverStatus ?? []) line(2, k, v);
  if (i.LoggingDriver) line(1, 'Logging Driver', i.LoggingDriver);
  if (i.CgroupDriver) line(1, 'Cgroup Driver', i.CgroupDriver);
  if (i.CgroupVersion) line(1, 'Cgroup Version', i.CgroupVersion);
  const plugins = (i.Plugins ?? {}) as Record<string, string[] | null>;
  line(1, 'Plugins');
  for (const k of ['Volume', 'Network', 'Authorization', 'Log']) {
    if (plugins[k]?.length) line(2, k, plugins[k]!.join(' '));
  }
  const swarm = (i.Swarm ?? {}) as { LocalNodeState?: string };
  line(1, 'Swarm', swarm.LocalNodeState || 'inactive');
  const runtimes = Object.keys((i.Runtimes ?? {}) as object);
  if (runtimes.length) line(1, 'Runtimes', runtimes.join(' '));
  if (i.DefaultRuntime) line(1, 'Default Runtime', i.DefaultRuntime);
  line(1, 'Kernel Version', i.KernelVersion);
  line(1, 'Operating System', i.OperatingSystem);
  line(1, 'OSType', i.OSType);
  line(1, 'Architecture', i.Architecture);
  line(1, 'CPUs', i.NCPU);
  line(1, 'Total Memory', bytesSize(Number(i.MemTotal ?? 0)));
  line(1, 'Name', i.Name);
  line(1, 'ID', i.ID);
  line(1, 'Docker Root Dir', i.DockerRootDir);
  line(1, 'Debug Mode', Boolean(i.Debug));
  line(1, 'Experimental', Boolean(i.ExperimentalBuild));
  const reg = (i.RegistryConfig ?? {}) as { InsecureRegistryCIDRs?: string[] };
  if (reg.InsecureRegistryCIDRs?.length) {
    line(1, 'Insecure Registries');
    for (const c of reg.InsecureRegistryCIDRs) out.push(`  ${c}`);
  }
  line(1, 'Live Restore Enabled', Boolean(i.LiveRestoreEnabled));
  return `${out.join('\n')}\n`;
}

export async function runInfo(opts: InfoOptions, client: Client, io: IO): Promise<number> {
  let info: InfoResponse | undefined;
  let err: unknown;
  try {
    info = await client.info();
  } catch (e) {
    err = e;
  }
  if (opts.format) {
    if (err) {
      printError(io, err);
      return 1;
    }
    io.stdout.write(`${execTemplate(parseTemplate(opts.format), info)}\n`);
    return 0;
  }
  const debug = String(Boolean(opts.debug));
  io.stdout.write(`Client:\n Version:    ${CLI_VERSION}\n Context:    default\n Debug Mode: ${debug}\n\nServer:\n`);
  if (err || !info) {
    printError(io, err);
    return 1;
  }
  io.stdout.write(`${renderInfo(info)}\n`);
  for (const w of (info.Warnings as string[] | null) ?? []) io.stderr.write(`${w}\n`);
  return 0;
}

export const info: CommandSpec<InfoOptions> = {
  name: 'info',
  usage: '[OPTIONS]',
  description: 'Display system-wide information',
  declare: declareInfo,
  options: (_a, f) => ({ format: f.format as string | undefined, debug: Boolean(f.debug) }),
  run: runInfo,
};
