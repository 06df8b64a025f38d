/** Validators of the docker CLI for --dns, --dns-search, --add-host, --link and --mac-address. */
import { isIP } from 'node:net';

/** net.ParseIP and its canonical form ("0:0::1" → "::1"), or docker's error. */
export function validateIPAddress(val: string): string {
  const ip = val.trim();
  const fam = isIP(ip);
  if (fam === 4) return ip;
  if (fam === 6 && !ip.includes('%')) {
    const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (m) return m[1];
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  }
  throw new Error(`IP address is not correctly formatted: ${val}`);
}

const DOMAIN = /^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\.?\s*$/;

export function validateDNSSearch(v: string): string {
  const val = v.replace(/^ +| +$/g, '');
  if (val === '.') return val;
  const m = /[a-zA-Z]/.test(val) ? DOMAIN.exec(val) : null;
  if (m && m[1].length < 255) return m[1];
  throw new Error(`${val} is not a valid domain`);
}

/** host:ip or host=ip (ip may be [bracketed] or host-gateway) → "host:ip". */
export function validateExtraHost(val: string): string {
  let sep = val.indexOf('=');
  if (sep < 0) sep = val.indexOf(':');
  const k = sep < 0 ? val : val.slice(0, sep);
  let v = sep < 0 ? '' : val.slice(sep + 1);
  if (sep < 0 || k === '' || k.includes(':')) throw new Error(`bad format for add-host: ${JSON.stringify(val)}`);
  if (v !== 'host-gateway') {
    if (v.length > 2 && v[0] === '[' && v[v.length - 1] === ']') v = v.slice(1, -1);
    try {
      validateIPAddress(v);
    } catch {
      throw new Error(`invalid IP address in add-host: ${JSON.stringify(v)}`);
    }
  }
  return `${k}:${v}`;
}

export function validateLink(val: string): string {
  if (val === '') throw new Error('empty string specified for links');
  if (val.split(':').length > 2) throw new Error(`bad format for links: ${val}`);
  return val;
}

/** net.ParseMAC for the 6-byte forms (xx:xx:.., xx-xx-.., xxxx.xxxx.xxxx). */
export function isValidMac(v: string): boolean {
  const s = v.trim();
  return /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(s) || /^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/.test(s);
}

/** The endpoint settings the docker CLI sends (run --network ..., network connect): what was asked, the rest empty. */
export function endpointSettings(o: { IPAMConfig: Record<string, unknown> | null; Links: string[] | null; Aliases: string[] | null; MacAddress: string; DriverOpts: Record<string, string> | null; GwPriority: number }) {
  return {
    ...o,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}
