import { InvalidArgumentError, type Command } from 'commander';
import type { DaemonConfig } from './config';
import { DEFAULT_HOST, DEFAULT_SOCKET_GROUP, DEFAULT_TLS_HOST, parseBoolFlag } from './listeners';

/** The flags of the listeners and their security, as dockerd's. */
export function listenerFlags(cmd: Command): Command {
  const bool = (name: string) => (v: string) => {
    try {
      return parseBoolFlag(name, v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
  return cmd
    .option('--tls [bool]', 'Use TLS; implied by --tlsverify', bool('tls'))
    .option('--tlsverify [bool]', 'Use TLS and verify the remote', bool('tlsverify'))
    .option('--tlscacert <path>', 'Trust certs signed only by this CA (default "~/.docker/ca.pem")')
    .option('--tlscert <path>', 'Path to TLS certificate file (default "~/.docker/cert.pem")')
    .option('--tlskey <path>', 'Path to TLS key file (default "~/.docker/key.pem")')
    .option('-G, --group <group>', 'Group for the unix socket', DEFAULT_SOCKET_GROUP)
    .option('--api-cors-header <origin>', 'Set CORS headers in the Engine API')
    .option('--api-enable-cors', 'Enable CORS headers in the Engine API (origin "*"; deprecated: see --api-cors-header)');
}

export interface ListenerFlagValues {
  host: string[];
  tls?: boolean | string;
  tlsverify?: boolean | string;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  group?: string;
  apiCorsHeader?: string;
  apiEnableCors?: boolean;
}

/** The daemon's listener settings from its flags (no -H: the unix socket, or tcp://localhost:2376 with TLS, as dockerd). */
export function listenerConfig(o: ListenerFlagValues): Pick<DaemonConfig, 'hosts' | 'tls' | 'socketGroup' | 'corsHeaders'> {
  const tls = { tls: parseBoolFlag('tls', o.tls), tlsVerify: parseBoolFlag('tlsverify', o.tlsverify), caCert: o.tlscacert, cert: o.tlscert, key: o.tlskey };
  const tlsOn = tls.tls === true || tls.tlsVerify !== undefined;
  return {
    hosts: o.host.length ? o.host : [tlsOn ? DEFAULT_TLS_HOST : DEFAULT_HOST],
    tls,
    socketGroup: o.group ?? DEFAULT_SOCKET_GROUP,
    corsHeaders: o.apiCorsHeader !== undefined ? o.apiCorsHeader : o.apiEnableCors ? '*' : undefined,
  };
}
