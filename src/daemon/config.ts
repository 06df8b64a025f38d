import type { TlsFlags } from './listeners';

/** The daemon's settings, named as dockerd's flags. */
export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  debug: boolean;
  logLevel: string;
  /** -b/--bridge: the bridge containers attach to ("none": no bridge network). */
  bridge: string;
  /** --bip: the bridge's address and prefix. */
  bip: string;
  mtu: number;
  /** --ip: the default host address of published ports ("" or 0.0.0.0 for all). */
  ip: string;
  /** --icc: containers on the default bridge may talk to each other. */
  icc: boolean;
  /** --insecure-registry: registries that may be plain HTTP (localhost always may). */
  insecureRegistries: string[];
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  /** --registry-timeout: seconds without a byte from a registry before a request fails. */
  registryTimeout: number;
  /** --log-driver and --log-opt: the LogConfig of a container that names no driver (merged as dockerd does). */
  logDriver: string;
  logOpts: Record<string, string>;
  // --- issue 16, daemon flags (daemon-flags.ts): restart, dns, iptables, storage driver ---
  /** -r/--restart: start containers at boot as their restart policies say (false: leave them to a process manager). */
  restart?: boolean;
  /** --dns, --dns-search, --dns-opt: what a container that sets none gets in its resolv.conf. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --iptables: false makes Wharf add no firewall rules (nftables tables, FORWARD exceptions) at all. */
  iptables?: boolean;
  /** -s/--storage-driver: overlay2 (the default) or vfs (a full copy per container). */
  storageDriver?: string;
  /** --config-file: the daemon.json these settings were read from, if any. */
  configFile?: string;

  // ---- Listeners and their security (src/daemon/listeners.ts) ----
  /** --tls, --tlsverify, --tlscacert, --tlscert, --tlskey as given (undefined: not given). */
  tls?: TlsFlags;
  /** -G/--group: the unix sockets' group ("docker" if it exists, else the daemon's). */
  socketGroup?: string;
  /** --api-cors-header (--api-enable-cors: "*"): the Access-Control-Allow-Origin of every answer; unset, no CORS headers. */
  corsHeaders?: string;
}

export const DEFAULTS: DaemonConfig = {
  hosts: ['unix:///var/run/wharf.sock'],
  dataRoot: '/var/lib/wharf',
  execRoot: '/run/wharf',
  pidfile: '/var/run/wharf.pid',
  debug: false,
  logLevel: 'info',
  bridge: 'wharf0',
  bip: '172.29.0.1/16',
  mtu: 1500,
  ip: '0.0.0.0',
  icc: true,
  insecureRegistries: [],
  maxConcurrentDownloads: 3,
  maxConcurrentUploads: 5,
  registryTimeout: 30,
  logDriver: 'json-file',
  logOpts: {},
  restart: true,
  dns: [],
  dnsSearch: [],
  dnsOptions: [],
  iptables: true,
  storageDriver: 'overlay2',
};
