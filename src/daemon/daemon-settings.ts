import { parseDaemonHost, tlsSettings } from './listeners';
import path from 'node:path';
import type { SystemInfo } from '../api/system-info';
import type { NetworkDefaults } from '../domain/network';
import { OverlayStorage } from '../storage/overlay';
import { VfsStorage } from '../storage/vfs';
import type { DaemonConfig } from './config';

// Issue 16: what the daemon flags -s, --iptables, --dns* and --log-driver turn into (kept out
// of daemon.ts, the composition root, so that it only calls these).

/** -s/--storage-driver: overlay2 under <data-root>/overlay, vfs (a full copy per container) under <data-root>/vfs. */
export function storageDriver(cfg: DaemonConfig): OverlayStorage | VfsStorage {
  if (cfg.storageDriver === 'vfs') return new VfsStorage(path.join(cfg.dataRoot, 'vfs'));
  return new OverlayStorage(path.join(cfg.dataRoot, 'overlay'));
}

/** --iptables and --dns, --dns-search, --dns-opt, as every network applies them. */
export function issue16NetDefaults(cfg: DaemonConfig): Partial<NetworkDefaults> {
  return {
    firewall: cfg.iptables !== false,
    ...(cfg.dns?.length ? { dns: cfg.dns } : {}),
    ...(cfg.dnsSearch?.length ? { dnsSearch: cfg.dnsSearch } : {}),
    ...(cfg.dnsOptions?.length ? { dnsOptions: cfg.dnsOptions } : {}),
  };
}

/** What docker info reports of these settings: Storage Driver, Logging Driver, and the warnings they call for. */
export function issue16Info(cfg: DaemonConfig): Pick<SystemInfo, 'storageDriver' | 'loggingDriver' | 'settingWarnings'> {
  const warnings: string[] = [];
  // dockerd (20.10 and today's) shows no warning for --iptables=false; Wharf says what it means.
  if (cfg.iptables === false) warnings.push('WARNING: iptables is disabled (--iptables=false): Wharf adds no firewall rules; published ports and outbound NAT need rules of your own');
  warnings.push(...tcpWarnings(cfg));
  return { storageDriver: cfg.storageDriver ?? 'overlay2', loggingDriver: cfg.logDriver ?? 'json-file', settingWarnings: warnings };
}

const ATTACK_SURFACE = `
         Access to the remote API is equivalent to root access on the host. Refer
         to the 'Docker daemon attack surface' section in the documentation for
         more information: https://docs.docker.com/go/attack-surface/`;

/** dockerd's info warnings for a TCP listener that does not authenticate its clients (fillAPIInfo). */
function tcpWarnings(cfg: DaemonConfig): string[] {
  const tls = tlsSettings(cfg.tls ?? {});
  if (tls.verify) return [];
  const out: string[] = [];
  for (const h of cfg.hosts ?? []) {
    let host: string;
    try {
      host = parseDaemonHost(h, tls.enabled);
    } catch {
      continue;
    }
    if (!host.startsWith('tcp://')) continue;
    const addr = host.slice('tcp://'.length);
    out.push(tls.enabled ? `WARNING: API is accessible on https://${addr} without TLS client verification.${ATTACK_SURFACE}` : `WARNING: API is accessible on http://${addr} without encryption.${ATTACK_SURFACE}`);
  }
  return out;
}
