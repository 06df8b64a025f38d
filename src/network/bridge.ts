import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { macFor } from '../domain/network';
import { loadAddon } from '../native/addon';
import { run } from '../runtime/exec';

interface NativeNetlink {
  connect(hostIf: string, ifName: string, mtu: number, mac: string, pid: number, bridge: string, addrs: string[], gw4: string, gw6: string): void;
}

let netlink: NativeNetlink | null | undefined;
const nativeNetlink = (): NativeNetlink | null => (netlink ??= process.env.WHARF_NO_NATIVE_NETLINK ? null : loadAddon<NativeNetlink>('netlink.node'));

/** Run `ip` (or another tool) with a batch of commands on its stdin. */
export function runBatch(cmd: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message}`)));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${err.trim()}`))));
    p.stdin.end(input);
  });
}

export interface BridgeSpec {
  name: string;
  /** The gateway's address with the prefix ("172.29.0.1/16"). */
  gatewayCidr: string;
  mtu: number;
  /** Marks a bridge it makes (the link's alias): boot finds one a crash left that no fact records. */
  owner?: string;
  /** The IPv6 gateway with its prefix ("fd00:77::1/64"), on a network with IPv6 enabled. */
  gateway6Cidr?: string;
  /**
   * An existing bridge Wharf did not make (com.docker.network.bridge.name): used as it is, its
   * addresses, MTU, MAC and sysctls untouched; it must exist and be a bridge.
   */
  adopt?: boolean;
  /** false (--iptables=false): no FORWARD exceptions of Wharf's. */
  firewall?: boolean;
}

/**
 * The bridge exists, has the gateway address and is up; the host forwards, and answers
 * 127.0.0.1 traffic DNATed onto the bridge (route_localnet). Idempotent.
 */
export async function ensureBridge(b: BridgeSpec): Promise<void> {
  const exists = await linkExists(b.name);
  // An interface of that name that is not a bridge (a veth, the host's NIC) is never taken over.
  if (exists && !(await isBridge(b.name))) throw new Error(`existing interface ${b.name} is not a bridge`);
  if (b.adopt) {
    if (!exists) throw new Error(`bridge ${b.name} not found: it was there when the network was created, and Wharf does not make bridges it does not own`);
    if (b.firewall !== false) await allowForwarding(b.name);
    return;
  }
  // A bridge without a MAC of its own takes the lowest of its ports' MACs, so it changes when a
  // container's veth comes or goes, and neighbours keep a stale ARP entry for the gateway (where
  // the embedded DNS answers) for half a minute. Set explicitly, as Docker does, it never changes:
  // a new bridge gets one derived from its gateway address; an existing one keeps the one it has.
  const pin = exists ? await unpinnedMac(b.name) : macFor(b.gatewayCidr.split('/')[0]);
  const lines = [
    ...(exists ? [] : [`link add ${b.name} type bridge`, ...(b.owner ? [`link set ${b.name} alias ${b.owner}`] : [])]),
    ...(pin ? [`link set ${b.name} address ${pin}`] : []),
    `link set ${b.name} mtu ${b.mtu} up`,
    `addr replace ${b.gatewayCidr} dev ${b.name}`,
  ];
  await runBatch('ip', ['-batch', '-'], lines.join('\n') + '\n');
  if (b.gateway6Cidr) {
    // IPv6 on this bridge only (an interface of Wharf's own), never a host-wide switch. As Docker:
    // the v6 gateway and fe80::1 on the bridge; nodad, so that the gateway answers neighbour
    // solicitations at once (a tentative address would not, for a second after each create).
    await fsp.writeFile(`/proc/sys/net/ipv6/conf/${b.name}/disable_ipv6`, '0');
    await runBatch('ip', ['-batch', '-'], `addr replace ${b.gateway6Cidr} dev ${b.name} nodad\naddr replace fe80::1/64 dev ${b.name} nodad\n`);
  }
  await fsp.writeFile('/proc/sys/net/ipv4/ip_forward', '1');
  await fsp.writeFile(`/proc/sys/net/ipv4/conf/${b.name}/route_localnet`, '1');
  if (b.firewall !== false) await allowForwarding(b.name);
}

/**
 * Another engine (Docker) may set the iptables FORWARD policy to DROP, now or when it starts
 * later: let this bridge's traffic through with ACCEPT rules of our own, added once (Docker
 * inserts its chains above them and never flushes FORWARD), never touching anyone's rules.
 */
async function allowForwarding(bridge: string): Promise<void> {
  for (const dir of ['-i', '-o']) {
    const rule = ['FORWARD', dir, bridge, '-j', 'ACCEPT', '-m', 'comment', '--comment', 'wharf'];
    const present = await run('iptables', ['-C', ...rule]).then(() => true, () => false);
    if (!present) await run('iptables', ['-I', ...rule]);
  }
}

/** The current MAC of a link whose MAC was not set explicitly (addr_assign_type 3, NET_ADDR_SET), else undefined. */
async function unpinnedMac(name: string): Promise<string | undefined> {
  const type = await fsp.readFile(`/sys/class/net/${name}/addr_assign_type`, 'utf8').catch(() => '3');
  if (type.trim() === '3') return undefined;
  return (await fsp.readFile(`/sys/class/net/${name}/address`, 'utf8')).trim();
}

/** Whether the link is a Linux bridge (it has /sys/class/net/<name>/bridge). */
export function isBridge(name: string): Promise<boolean> {
  return fsp.access(`/sys/class/net/${name}/bridge`).then(() => true, () => false);
}

/** The bridges made with this owner mark (ensureBridge's owner), by name. */
export async function bridgesOwnedBy(owner: string): Promise<string[]> {
  const out = await run('ip', ['-o', 'link', 'show', 'type', 'bridge']).then((r) => r.stdout, () => '');
  return out.split('\n').flatMap((l) => {
    const name = /^\d+: ([^:@\s]+)/.exec(l)?.[1];
    return name && new RegExp(`\\salias ${owner.replace(/[^A-Za-z0-9]/g, '\\$&')}(\\s|$)`).test(l) ? [name] : [];
  });
}

/** Remove a bridge Wharf made (and its forwarding exceptions). */
export async function removeBridge(name: string): Promise<void> {
  await releaseBridge(name);
  await run('ip', ['link', 'del', name]).catch(() => undefined);
}

/** Remove Wharf's forwarding exceptions of a bridge, and nothing else (a bridge Wharf did not make stays as it is). */
export async function releaseBridge(name: string): Promise<void> {
  for (const dir of ['-i', '-o']) {
    await run('iptables', ['-D', 'FORWARD', dir, name, '-j', 'ACCEPT', '-m', 'comment', '--comment', 'wharf']).catch(() => undefined);
  }
}

/** Whether an nftables table of this name exists (in the ip family): one Wharf must not take over. */
export async function nftTableExists(table: string): Promise<boolean> {
  return run('nft', ['list', 'table', 'ip', table]).then(() => true, () => false);
}

export interface Endpoint {
  /** The container's init pid: its network namespace is /proc/<pid>/ns/net. */
  pid: number;
  hostIf: string;
  bridge: string;
  ip: string;
  prefix: number;
  gateway: string;
  mac: string;
  mtu: number;
  /** The interface's name in the container (eth0, eth1 ...). */
  ifName: string;
  /** Whether the container's default route goes through this network's gateway. */
  defaultRoute: boolean;
  /** Extra link-local addresses (169.254.0.0/16) on the interface. */
  linkLocalIPs?: string[];
  /** Its IPv6 address, prefix and gateway (a network with IPv6 enabled); the default v6 route goes with defaultRoute. */
  ip6?: string;
  prefix6?: number;
  gateway6?: string;
}

/**
 * A veth pair: one end on the bridge, the other as ethN in the container's namespace with
 * its address, MAC and (on its primary network) default route. One `ip -batch` on each side.
 */
export async function connectEndpoint(e: Endpoint): Promise<void> {
  const n = nativeNetlink();
  if (n) {
    // rtnetlink from the daemon (src/native/netlink.c): the same steps without three execs.
    // Should it fail part-way, what it made goes and ip(8) does it all, with ip's words on a failure.
    try {
      const addrs = [`${e.ip}/${e.prefix}`, ...(e.linkLocalIPs ?? []).map((ll) => `${ll}/16`), ...(e.ip6 ? [`${e.ip6}/${e.prefix6}`] : [])];
      n.connect(e.hostIf, e.ifName, e.mtu, e.mac, e.pid, e.bridge, addrs, e.defaultRoute ? e.gateway : '', e.defaultRoute && e.ip6 && e.gateway6 ? e.gateway6 : '');
      return;
    } catch (err) {
      // Nothing is made before the pair (a failure to open or to create it leaves nothing of this call's).
      const before = /^(arguments|open |create the veth pair)/.test((err as Error).message);
      if (!before && (await linkExists(e.hostIf))) await disconnectEndpoint(e.hostIf);
    }
  }
  await runBatch('ip', ['-batch', '-'], [
    `link add ${e.hostIf} mtu ${e.mtu} type veth peer name ${e.ifName} mtu ${e.mtu} address ${e.mac} netns ${e.pid}`,
    `link set ${e.hostIf} master ${e.bridge} up`,
    '',
  ].join('\n'));
  await runBatch('nsenter', ['-t', String(e.pid), '-n', 'ip', '-batch', '-'], [
    `link set lo up`,
    `addr add ${e.ip}/${e.prefix} dev ${e.ifName}`,
    // --link-local-ip: extra addresses in 169.254.0.0/16, as Docker adds them.
    ...(e.linkLocalIPs ?? []).map((ll) => `addr add ${ll}/16 dev ${e.ifName}`),
    // nodad, as Docker adds it: usable at once, no tentative second before the process runs.
    ...(e.ip6 ? [`addr add ${e.ip6}/${e.prefix6} dev ${e.ifName} nodad`] : []),
    `link set ${e.ifName} up`,
    ...(e.defaultRoute ? [`route add default via ${e.gateway}`] : []),
    ...(e.defaultRoute && e.ip6 && e.gateway6 ? [`route add ::/0 via ${e.gateway6} dev ${e.ifName}`] : []),
    '',
  ].join('\n'));
}

/** Remove a container's veth (its peer in the container goes with it). */
export async function disconnectEndpoint(hostIf: string): Promise<void> {
  await run('ip', ['link', 'del', hostIf]).catch(() => undefined);
}

/** Whether a network interface exists on the host. */
export const linkExists = (name: string): Promise<boolean> => fsp.access(`/sys/class/net/${name}`).then(() => true, () => false);
