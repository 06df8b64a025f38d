/** `wharf port CONTAINER [PRIVATE_PORT[/PROTO]]`: the published ports, "80/tcp -> 0.0.0.0:8080". */
import type { Command } from 'commander';
import type { Client } from '../../client/client';
import { UsageError, type CommandSpec, type IO } from '../command';

export interface PortOptions {
  container: string;
  port?: string;
}

/** net.JoinHostPort: IPv6 hosts in brackets. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function naturalLess(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export async function runPort(o: PortOptions, client: Client, io: IO): Promise<number> {
  const c = (await client.containerInspect(o.container)) as unknown as { NetworkSettings?: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> } };
  const ports = c.NetworkSettings?.Ports ?? {};
  const out: string[] = [];
  if (o.port !== undefined) {
    const i = o.port.indexOf('/');
    const port = i < 0 ? o.port : o.port.slice(0, i);
    const proto = (i < 0 ? '' : o.port.slice(i + 1)) || 'tcp';
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
      const why = /^\d+$/.test(port) ? 'value out of range' : 'invalid syntax';
      throw new Error(`Error: invalid port (${port}): strconv.ParseUint: parsing ${JSON.stringify(port)}: ${why}`);
    }
    const frontends = ports[`${port}/${proto}`];
    if (!frontends || frontends.length === 0) throw new Error(`Error: No public port '${o.port}' published for ${o.container}`);
    for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
  } else {
    for (const [from, frontends] of Object.entries(ports)) {
      for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
    }
  }
  if (out.length) io.stdout.write(`${out.sort(naturalLess).join('\n')}\n`);
  return 0;
}

export const port: CommandSpec<PortOptions> = {
  name: 'port',
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  declare: (cmd: Command) => cmd.argument('[args...]', 'CONTAINER [PRIVATE_PORT[/PROTO]]'),
  options: (a) => {
    const args = a[0] as string[];
    if (args.length < 1 || args.length > 2) throw new UsageError(`'wharf port' requires at least 1 and at most 2 arguments`);
    return { container: args[0], port: args[1] };
  },
  run: runPort,
};
