import { spawn } from 'node:child_process';
import type { PublishedPort } from '../domain/network';

/** What one bridge's NAT table needs to know: the bridge, its subnet, and each container's published ports. */
export interface NatInput {
  table: string;
  bridge: string;
  subnet: string;
  /** The IPv6 subnet of a network with IPv6 enabled: a second table, of family ip6, for it. */
  subnet6?: string;
  endpoints: { ip: string; ip6?: string; ports: PublishedPort[] }[];
  /** The other bridges of Wharf: no traffic is forwarded from this bridge to them. */
  others: string[];
  /** --internal: no route out (nothing forwarded off the bridge), no masquerade, no published ports. */
  internal: boolean;
  /** --icc=false: containers on this bridge cannot talk to each other (published ports still answer). */
  icc?: boolean;
}

/**
 * The whole of Wharf's nftables table for one bridge, as one atomic `nft -f` transaction:
 * replace the table (ours only; other tables, Docker's included, are never touched).
 * Published ports are DNATed from the host's own addresses (prerouting for traffic from
 * outside, output for the host itself, 127.0.0.1 included thanks to route_localnet);
 * outbound traffic of the subnet is masqueraded. The forward chain keeps networks apart:
 * nothing goes from this bridge to another of Wharf's (each table drops its own side),
 * and an internal network's traffic never leaves its bridge.
 */
export function natRuleset(n: NatInput): string {
  const q = (s: string) => JSON.stringify(s);
  const dnat = n.internal ? [] : n.endpoints.flatMap((e) =>
    e.ports.filter((p) => !isV6Host(p.hostIp)).map((p) => `    ${p.hostIp ? `ip daddr ${p.hostIp} ` : ''}${p.proto} dport ${p.hostPort} dnat to ${e.ip}:${p.containerPort}`),
  );
  const postrouting = [
    ...(n.internal ? [] : [`    ip saddr ${n.subnet} oifname != ${q(n.bridge)} masquerade`]),
    // The host talking to a published port through 127.0.0.1, and a container reaching a
    // published port of its own bridge (hairpin): answer through the bridge's address.
    `    oifname ${q(n.bridge)} ip saddr 127.0.0.0/8 masquerade`,
    `    oifname ${q(n.bridge)} ip saddr ${n.subnet} ct status dnat masquerade`,
  ];
  return `table ip ${n.table} {}\ndelete table ip ${n.table}\n${natTable('ip', n, dnat, postrouting)}${natRuleset6(n)}`;
}

/** The forward chain's rules, the same in both families: other bridges, --internal, --icc=false. */
function forwardRules(n: NatInput): string[] {
  const q = (s: string) => JSON.stringify(s);
  return [
    ...(n.others.length ? [`    iifname ${q(n.bridge)} oifname { ${n.others.map(q).join(', ')} } drop`] : []),
    ...(n.internal ? [`    iifname ${q(n.bridge)} oifname != ${q(n.bridge)} drop`, `    oifname ${q(n.bridge)} iifname != ${q(n.bridge)} drop`] : []),
    ...(n.icc === false ? [`    iifname ${q(n.bridge)} oifname ${q(n.bridge)} ct status dnat accept`, `    iifname ${q(n.bridge)} oifname ${q(n.bridge)} drop`] : []),
  ];
}

/** One family's table: published ports DNATed from the host's own addresses, the forward rules, the masquerading. */
function natTable(family: 'ip' | 'ip6', n: NatInput, dnat: string[], postrouting: string[]): string {
  return [
    `table ${family} ${n.table} {`,
    `  chain published {`,
    ...dnat,
    `  }`,
    `  chain prerouting {`,
    `    type nat hook prerouting priority -100; policy accept;`,
    `    fib daddr type local jump published`,
    `  }`,
    `  chain output {`,
    `    type nat hook output priority -100; policy accept;`,
    `    fib daddr type local jump published`,
    `  }`,
    `  chain forward {`,
    `    type filter hook forward priority -1; policy accept;`,
    ...forwardRules(n),
    `  }`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority 100; policy accept;`,
    ...postrouting,
    `  }`,
    `}`,
    '',
  ].join('\n');
}

/** A host address of IPv6 ("::", "::1", "fd00::2"): served by the ip6 table, not the ip one. */
const isV6Host = (hostIp: string): boolean => hostIp.includes(':');

/**
 * The ip6 table of a network with IPv6 enabled (and its removal otherwise): published ports
 * DNATed from the host's own IPv6 addresses to the container's, the subnet masqueraded on its
 * way out, the same isolation as the ip table. ::1 is left out: the kernel has no
 * route_localnet for IPv6 and drops loopback-sourced packets DNATed onto a bridge, so the
 * daemon's proxy serves [::1] (see port-proxy.ts).
 */
function natRuleset6(n: NatInput): string {
  const q = (s: string) => JSON.stringify(s);
  const drop = `table ip6 ${n.table} {}\ndelete table ip6 ${n.table}\n`;
  if (!n.subnet6) return drop;
  const dnat = n.internal ? [] : n.endpoints.flatMap((e) =>
    e.ip6 ? e.ports.filter((p) => (!p.hostIp || isV6Host(p.hostIp)) && p.hostIp !== '::1').map((p) => {
      const daddr = !p.hostIp || p.hostIp === '::' ? 'ip6 daddr != ::1 ' : `ip6 daddr ${p.hostIp} `;
      return `    ${daddr}${p.proto} dport ${p.hostPort} dnat to [${e.ip6}]:${p.containerPort}`;
    }) : [],
  );
  const postrouting = [
    ...(n.internal ? [] : [`    ip6 saddr ${n.subnet6} oifname != ${q(n.bridge)} masquerade`]),
    `    oifname ${q(n.bridge)} ip6 saddr ${n.subnet6} ct status dnat masquerade`,
  ];
  return drop + natTable('ip6', n, dnat, postrouting);
}

/** Both of a bridge's tables (ip, and ip6 where it has one) go. */
export function deleteTableRuleset(table: string): string {
  return `table ip ${table} {}\ndelete table ip ${table}\ntable ip6 ${table} {}\ndelete table ip6 ${table}\n`;
}

/** Apply a ruleset with one `nft -f -`. */
export function applyNft(ruleset: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => reject(new Error(`cannot run nft: ${e.message}`)));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`nft: ${err.trim()}`))));
    p.stdin.end(ruleset);
  });
}
