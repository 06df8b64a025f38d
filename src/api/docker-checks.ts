import path from 'node:path';
import { parsePlatform } from '../registry/manifest';

/**
 * Checks dockerd makes after decoding that a JSON-schema rule cannot say (a message that
 * depends on the value's parts), named by a schema's `dockerCheck` annotation. Each returns
 * dockerd's message for a value it refuses, or undefined. A value of the wrong type is left
 * alone: Go's decoding error is reported for it first.
 */
export const DOCKER_CHECKS: Record<string, (v: unknown) => string | undefined> = {
  /** Config.Env at create: opts.ValidateEnv, an entry with no name ("", "=", "=x") is refused. */
  env(v) {
    if (!Array.isArray(v)) return undefined;
    for (const e of v) {
      const entry = e === null ? '' : e; // Go decodes a null entry as ""
      if (typeof entry === 'string' && entry.split('=', 1)[0] === '') return `invalid environment variable: ${entry}`;
    }
    return undefined;
  },
  /** HostConfig.Tmpfs's targets: the volume parser's ValidateTmpfsMountDestination. */
  tmpfs(v) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    for (const target of Object.keys(v)) {
      const p = target.replace(/\\/g, '/');
      if (path.posix.normalize(p) === '/') return "invalid specification: destination can't be '/'";
      if (!p.startsWith('/')) return `invalid mount path: '${p}' mount path must be absolute`;
    }
    return undefined;
  },
  /** ?platform=: containerd's platforms.Parse. */
  platform(v) {
    if (typeof v !== 'string' || v === '') return undefined;
    try {
      parsePlatform(v);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  },
};
