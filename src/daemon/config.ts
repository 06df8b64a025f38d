/** The daemon's settings, named as dockerd's flags. */
export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  debug: boolean;
  logLevel: string;
}

export const DEFAULTS: DaemonConfig = {
  hosts: ['unix:///var/run/wharf.sock'],
  dataRoot: '/var/lib/wharf',
  execRoot: '/run/wharf',
  pidfile: '/var/run/wharf.pid',
  debug: false,
  logLevel: 'info',
};

/** unix:///path.sock, /path.sock, or fd:// (not supported) → a socket path. */
export function socketPathOf(host: string): string {
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  if (host.startsWith('/')) return host;
  throw new Error(`unsupported host ${host}: only unix sockets are supported so far`);
}
