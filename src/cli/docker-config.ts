/**
 * The docker CLI's client configuration (config.json in ~/.docker, DOCKER_CONFIG or --config):
 * registry credentials kept as docker's file store keeps them (auths{server:{auth:
 * base64(user:pass)}}), and the X-Registry-Auth header made from them.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { splitRepoTag, validateReference } from './reference';

/** Docker Hub's key in the auths of config.json (registry.IndexServer). */
export const INDEX_SERVER = 'https://index.docker.io/v1/';
export const DEFAULT_DOMAIN = 'docker.io';

/** The directory: --config, else DOCKER_CONFIG, else ~/.docker. */
export function configDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  return path.join(env.HOME || os.homedir(), '.docker');
}

/** credentials.ConvertToHostname: "https://host:5000/v2/" → "host:5000". */
export function convertToHostname(maybeURL: string): string {
  if (maybeURL.includes('://')) {
    try {
      const u = new URL(maybeURL);
      if (u.hostname) return u.port ? `${u.hostname}:${u.port}` : u.host;
    } catch {
      // not a URL: the cut below
    }
  }
  return maybeURL.split('/')[0];
}

/** What docker keeps for one registry (registry.AuthConfig's fields). */
export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** registrytypes.EncodeAuthConfig: base64url of the JSON, fields in Go's order, empty ones left out. */
export function encodeAuthConfig(a: AuthConfig): string {
  const o: Record<string, string> = {};
  for (const k of ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    if (a[k]) o[k] = a[k]!;
  }
  return Buffer.from(JSON.stringify(o)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function decodeAuth(auth: string): { username: string; password: string } {
  const plain = Buffer.from(auth, 'base64').toString('utf8');
  const i = plain.indexOf(':');
  if (i < 0) throw new Error('Invalid auth configuration file');
  return { username: plain.slice(0, i), password: plain.slice(i + 1).replace(/\0+$/, '') };
}

/** config.json, read and written as the docker CLI's file credential store does. */
export class DockerConfigFile {
  /** The whole document (other keys kept as they are). */
  private doc: Record<string, unknown> = {};

  constructor(readonly filename: string) {}

  static load(dir: string): DockerConfigFile {
    const f = new DockerConfigFile(path.join(dir, 'config.json'));
    if (existsSync(f.filename)) {
      const text = readFileSync(f.filename, 'utf8');
      if (text.trim()) {
        try {
          f.doc = JSON.parse(text) as Record<string, unknown>;
        } catch (e) {
          throw new Error(`loading config file: ${f.filename}: ${(e as Error).message}`);
        }
      }
    }
    if (!f.doc || typeof f.doc !== 'object' || Array.isArray(f.doc)) f.doc = {};
    return f;
  }

  private get auths(): Record<string, AuthConfig> {
    const a = this.doc.auths;
    if (!a || typeof a !== 'object') this.doc.auths = {};
    return this.doc.auths as Record<string, AuthConfig>;
  }

  /** The credentials for a key (exact, or a stored URL whose host is the key), user and password decoded. */
  get(key: string): AuthConfig {
    const auths = this.auths;
    let found = Object.prototype.hasOwnProperty.call(auths, key) ? auths[key] : undefined;
    let addr = key;
    if (!found) {
      for (const [k, v] of Object.entries(auths)) {
        if (convertToHostname(k) === key) {
          found = v;
          addr = k;
          break;
        }
      }
    }
    if (!found) return {};
    const out: AuthConfig = { ...found };
    if (found.auth) Object.assign(out, decodeAuth(found.auth));
    delete out.auth;
    out.serveraddress = addr;
    return out;
  }

  /** Store (username, password or identity token) under serveraddress; false if nothing changed. */
  store(a: AuthConfig): boolean {
    const key = a.serveraddress ?? '';
    const entry: AuthConfig = {};
    if (a.username || a.password) entry.auth = Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64');
    if (a.email) entry.email = a.email;
    if (a.identitytoken) entry.identitytoken = a.identitytoken;
    if (a.registrytoken) entry.registrytoken = a.registrytoken;
    const old = this.auths[key];
    if (old && JSON.stringify(old) === JSON.stringify(entry)) return false;
    this.auths[key] = entry;
    this.save();
    return true;
  }

  /** Forget the credentials of a key; false when there were none. */
  erase(key: string): boolean {
    if (!Object.prototype.hasOwnProperty.call(this.auths, key)) return false;
    delete this.auths[key];
    this.save();
    return true;
  }

  /** Written as docker writes it: tab-indented JSON, "auths" first, through a temp file, mode 0600. */
  save(): void {
    const dir = path.dirname(this.filename);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { auths, ...rest } = this.doc;
    const data = JSON.stringify({ auths: auths ?? {}, ...rest }, null, '\t');
    const tmp = path.join(dir, `.${path.basename(this.filename)}.${process.pid}.tmp`);
    writeFileSync(tmp, data, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.filename);
  }
}

/** A reference as reference.ParseNormalizedNamed reads it. */
export interface NormalizedRef {
  domain: string;
  /** The path within the registry ("library/busybox", "team/app"). */
  path: string;
  tag?: string;
  digest?: string;
}

/** ParseNormalizedNamed: "busybox" → docker.io/library/busybox; errors as docker's. */
export function parseNormalizedNamed(ref: string): NormalizedRef {
  validateReference(ref);
  const { repo, tag, digest } = splitRepoTagDigest(ref);
  const parts = repo.split('/');
  let domain = DEFAULT_DOMAIN;
  let rest = repo;
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost' || parts[0] !== parts[0].toLowerCase())) {
    domain = parts[0];
    rest = parts.slice(1).join('/');
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !rest.includes('/')) rest = `library/${rest}`;
  return { domain, path: rest, tag, digest };
}

function splitRepoTagDigest(ref: string): { repo: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  const named = at >= 0 ? ref.slice(0, at) : ref;
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const { repo, tag } = splitRepoTag(named);
  return { repo, tag, digest };
}

/** The full name: "docker.io/library/busybox". */
export function refName(r: NormalizedRef): string {
  return `${r.domain}/${r.path}`;
}

/** reference.String(): name[:tag][@digest]. */
export function refString(r: NormalizedRef): string {
  return `${refName(r)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** reference.FamiliarName: "busybox", "user/app", "127.0.0.1:5000/a/b". */
export function familiarName(r: NormalizedRef): string {
  if (r.domain === DEFAULT_DOMAIN) return r.path.startsWith('library/') && r.path.split('/').length === 2 ? r.path.slice(8) : r.path;
  return refName(r);
}

export function familiarString(r: NormalizedRef): string {
  return `${familiarName(r)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** The key of a registry's credentials: Docker Hub's index address, else host[:port]. */
export function authConfigKey(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === 'index.docker.io' || domain === 'registry-1.docker.io' ? INDEX_SERVER : domain;
}

/** The X-Registry-Auth value for an image reference, from the stored credentials ("e30=" when none). */
export function registryAuthFor(dir: string, domain: string): string {
  let a: AuthConfig = {};
  try {
    a = DockerConfigFile.load(dir).get(authConfigKey(domain));
  } catch {
    a = {};
  }
  return encodeAuthConfig(a);
}
