/** Registry credentials as the docker CLI sends them (X-Registry-Auth, /auth), and auth challenges. */

export interface Credentials {
  username?: string;
  password?: string;
  /** A refresh token a token server gave at login (OAuth2), used instead of a password. */
  identitytoken?: string;
  /** A bearer token to send as is. */
  registrytoken?: string;
  serveraddress?: string;
}

/**
 * The X-Registry-Auth header: base64url (or plain base64) of the JSON AuthConfig. An empty
 * or unreadable header means no credentials, as Docker treats it.
 */
export function credentialsFromHeader(header: string | string[] | undefined): Credentials | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  try {
    const json = JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as Credentials & { auth?: string };
    const out: Credentials = { ...json };
    if (!out.username && json.auth) {
      const plain = Buffer.from(json.auth, 'base64').toString('utf8');
      const i = plain.indexOf(':');
      if (i > 0) Object.assign(out, { username: plain.slice(0, i), password: plain.slice(i + 1) });
    }
    return out.username || out.identitytoken || out.registrytoken ? out : undefined;
  } catch {
    return undefined;
  }
}

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** WWW-Authenticate: `Bearer realm="https://auth/token",service="reg",scope="repository:a:pull"` or `Basic realm="x"`. */
export function parseChallenge(header: string | string[] | undefined): Challenge | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(h);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let p = re.exec(m[2]); p; p = re.exec(m[2])) params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  return { scheme, params };
}

export function basicAuth(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
}

/**
 * The server address of a login, as Docker normalises it: scheme and path dropped, the
 * Docker Hub's names folded into one.
 */
export function registryHostOf(serverAddress: string | undefined): string {
  const s = (serverAddress ?? '').trim();
  if (!s) return 'docker.io';
  const host = s.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'docker.io') return 'docker.io';
  return host;
}
