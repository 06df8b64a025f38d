/** /etc/hosts, /etc/hostname and /etc/resolv.conf of a container, as Docker writes them: pure. */

export interface HostsInput {
  hostname: string;
  domainname?: string;
  /** The container's own address, when it has one. */
  ip?: string;
  /** Its IPv6 address, on a network with IPv6 enabled: a second line, as Docker writes it. */
  ip6?: string;
  /** --add-host "name:ip" entries. */
  extraHosts?: string[] | null;
  /** Linked containers: alias and name → address. */
  links?: { ip: string; names: string[] }[];
}

export function hostsFile(h: HostsInput): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const e of h.extraHosts ?? []) {
    const i = e.indexOf(':');
    if (i > 0) lines.push(`${e.slice(i + 1)}\t${e.slice(0, i)}`);
  }
  for (const l of h.links ?? []) lines.push(`${l.ip}\t${l.names.join(' ')}`);
  const names = `${h.domainname ? `${h.hostname}.${h.domainname} ` : ''}${h.hostname}`;
  if (h.ip) lines.push(`${h.ip}\t${names}`);
  if (h.ip6) lines.push(`${h.ip6}\t${names}`);
  return lines.join('\n') + '\n';
}

export interface DnsInput {
  dns?: string[] | null;
  search?: string[] | null;
  options?: string[] | null;
}

const DEFAULT_DNS = ['8.8.8.8', '8.8.4.4'];

/**
 * The host's resolv.conf with the user's --dns/--dns-search/--dns-option. A container on
 * a bridge cannot reach the host's loopback resolvers: those go, and Google's public
 * resolvers stand in if none is left (Docker's rule).
 */
export function resolvConf(host: string, o: DnsInput, ownNetwork: boolean): string {
  const lines = host.split('\n').map((l) => l.trim());
  let servers = lines.filter((l) => /^nameserver\s/.test(l)).map((l) => l.split(/\s+/)[1]);
  let search = lines.filter((l) => /^search\s/.test(l)).flatMap((l) => l.split(/\s+/).slice(1));
  let options = lines.filter((l) => /^options\s/.test(l)).flatMap((l) => l.split(/\s+/).slice(1));
  if (ownNetwork) {
    servers = servers.filter((s) => !/^127\./.test(s) && s !== '::1');
    if (servers.length === 0) servers = DEFAULT_DNS;
  }
  if (o.dns?.length) servers = o.dns;
  if (o.search?.length) search = o.search.filter((s) => s !== '.');
  if (o.options?.length) options = o.options;
  return [
    ...servers.map((s) => `nameserver ${s}`),
    ...(search.length ? [`search ${search.join(' ')}`] : []),
    ...(options.length ? [`options ${options.join(' ')}`] : []),
    '',
  ].join('\n');
}
