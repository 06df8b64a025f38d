/**
 * -p/--publish and --expose as the docker CLI reads them (go-connections/nat): the
 * Config.ExposedPorts set and the HostConfig.PortBindings map, with nat's error texts.
 */
import { isIP } from 'node:net';

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface PortSpecs {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, PortBinding[]>;
}

/** strconv.ParseUint(v, 10, 16). */
function parseUint16(v: string): number {
  if (!/^\d+$/.test(v)) throw new Error(`strconv.ParseUint: parsing "${v}": invalid syntax`);
  const n = Number(v);
  if (n > 65535) throw new Error(`strconv.ParseUint: parsing "${v}": value out of range`);
  return n;
}

/** nat.ParsePortRange: "80" or "8000-8010". */
export function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new Error('empty string specified for ports');
  if (!ports.includes('-')) {
    const n = parseUint16(ports);
    return [n, n];
  }
  const parts = ports.split('-');
  const start = parseUint16(parts[0]);
  const end = parseUint16(parts[1]);
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return [start, end];
}

/** nat.SplitProtoPort: "53/udp" → ["udp", "53"]; no protocol is tcp. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw.length === 0 || parts[0].length === 0) return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1].length === 0) return ['tcp', parts[0]];
  return [parts[1], parts[0]];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  const container = parts[n - 1];
  if (n === 1) return ['', '', container];
  if (n === 2) return ['', parts[0], container];
  if (n === 3) return [parts[0], parts[1], container];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2], container];
}

/** The long syntax "published=8080,target=80,protocol=udp" becomes "8080:80/udp". */
export function toStandardNotation(publish: string): string {
  if (!publish.includes('=')) return publish;
  const params: Record<string, string> = { protocol: 'tcp' };
  for (const param of publish.split(',')) {
    const eq = param.indexOf('=');
    if (eq <= 0) throw new Error(`invalid publish opts format (should be name=value but got '${param}')`);
    params[param.slice(0, eq)] = param.slice(eq + 1);
  }
  return `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
}

/** nat.ParsePortSpec: one -p value → [port key, binding] pairs. */
export function parsePortSpec(raw: string): [string, PortBinding][] {
  let [ip, hostPort, containerPort] = splitParts(raw);
  const [proto, cport] = splitProtoPort(containerPort);
  containerPort = cport;
  if (ip !== '' && ip[0] === '[') {
    if (!ip.endsWith(']')) throw new Error(`invalid IP address ${ip}: address ${ip}:: missing ']' in address`);
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && isIP(ip) === 0) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new Error(`no port specified: ${raw}<empty>`);
  let start: number, end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hStart = 0,
    hEnd = 0;
  if (hostPort.length > 0) {
    try {
      [hStart, hEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
  }
  if (hostPort !== '' && end - start !== hEnd - hStart && end !== start) {
    throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new Error(`invalid proto: ${proto}`);
  const out: [string, PortBinding][] = [];
  for (let i = 0; i <= end - start; i++) {
    let hp = hostPort;
    if (hostPort.length > 0) hp = String(hStart + i);
    if (start === end && hStart !== hEnd) hp = `${hp}-${hEnd}`;
    out.push([`${start + i}/${proto.toLowerCase()}`, { HostIp: ip, HostPort: hp }]);
  }
  return out;
}

/** All -p and --expose values → ExposedPorts and PortBindings, as the docker CLI builds them. */
export function parsePortSpecs(publish: string[], expose: string[] = []): PortSpecs {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const raw of publish.map(toStandardNotation)) {
    for (const [port, b] of parsePortSpec(raw)) {
      exposed[port] = {};
      (bindings[port] ??= []).push(b);
    }
  }
  for (const e of expose) {
    if (e.includes(':')) throw new Error(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let start: number, end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch (err) {
      throw new Error(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    for (let p = start; p <= end; p++) exposed[`${p}/${proto}`] = {};
  }
  return { exposed, bindings };
}
