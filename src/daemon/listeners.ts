/**
 * The daemon's listeners, as dockerd makes them: -H unix://, tcp:// (with TLS), host:port,
 * :port, fd:// and fd://N (systemd socket activation); the unix socket's mode and group; the
 * refusal of a TCP listener nobody authenticates. One HTTP server (the API's) serves them all:
 * each listener hands its accepted connections to it.
 */
import { closeSync, readFileSync, promises as fsp } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { Logger } from 'pino';

export const DEFAULT_UNIX_SOCKET = '/var/run/wharf.sock';
/** The -H of a daemon given none (dockerd's DefaultHost), and with TLS on (DefaultTLSHost). */
export const DEFAULT_HOST = `unix://${DEFAULT_UNIX_SOCKET}`;
export const DEFAULT_TLS_HOST = 'tcp://localhost:2376';
const DEFAULT_TCP_HOST = { hostname: 'localhost', port: '2375' };
/** dockerd's -G default: the group may be missing, then the socket keeps the daemon's group. */
export const DEFAULT_SOCKET_GROUP = 'docker';

/** --tls, --tlsverify and the files, as given (undefined: the flag was not given). */
export interface TlsFlags {
  tls?: boolean;
  tlsVerify?: boolean;
  caCert?: string;
  cert?: string;
  key?: string;
}

/** The TLS settings once the flags are read as dockerd reads them. */
export interface TlsSettings {
  /** --tls, or --tlsverify given at all (with any value). */
  enabled: boolean;
  /** --tlsverify: clients must show a certificate signed by the CA. */
  verify: boolean;
  /** --tls=false or --tlsverify=false: the operator asked for a TCP listener without authentication. */
  explicitlyOff: boolean;
  caCert: string;
  cert: string;
  key: string;
}

/** Defaults as dockerd's: $DOCKER_CERT_PATH, else the docker config dir ($DOCKER_CONFIG or ~/.docker). */
export function tlsSettings(f: TlsFlags, env: NodeJS.ProcessEnv = process.env): TlsSettings {
  const certDir = env.DOCKER_CERT_PATH || env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
  return {
    // Whatever value --tlsverify is given, giving it turns TLS on (dockerd's words: "Regardless of
    // whether the user sets it to true or false, if they specify --tlsverify at all then we need
    // to turn on TLS").
    enabled: f.tls === true || f.tlsVerify !== undefined,
    verify: f.tlsVerify === true,
    explicitlyOff: f.tls === false || f.tlsVerify === false,
    caCert: f.caCert || path.join(certDir, 'ca.pem'),
    cert: f.cert || path.join(certDir, 'cert.pem'),
    key: f.key || path.join(certDir, 'key.pem'),
  };
}

/** A boolean flag's value as pflag reads it (--tls, --tls=false, --tls=1...). */
export function parseBoolFlag(name: string, v: string | boolean | undefined): boolean | undefined {
  if (v === undefined || typeof v === 'boolean') return v;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new Error(`invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

/**
 * One -H value, normalized as dockerd's opts.ParseHost: unix:///path, tcp://host:port, fd://
 * or fd://N. "host:port" and ":port" are tcp (":port" is localhost's, as dockerd's); a bare
 * /path is a unix socket (Wharf has always read it so).
 */
export function parseDaemonHost(value: string, tlsOn = false): string {
  const host = value.trim();
  if (host === '') return tlsOn ? DEFAULT_TLS_HOST : DEFAULT_HOST;
  if (host.startsWith('/')) return `unix://${host}`;
  const sep = host.indexOf('://');
  const proto = sep < 0 ? 'tcp' : host.slice(0, sep);
  const addr = sep < 0 ? host : host.slice(sep + 3);
  switch (proto) {
    case 'tcp':
      return parseTcpAddr(host, addr);
    case 'unix':
      return `unix://${addr || DEFAULT_UNIX_SOCKET}`;
    case 'fd':
      return host;
    default:
      throw new Error(`invalid bind address (${host}): unsupported proto '${proto}'`);
  }
}

function parseTcpAddr(given: string, addr: string): string {
  const m = /^(\[[^\]]*\]|[^:/[\]]*)(?::([^/]*))?(\/.*)?$/.exec(addr);
  if (!m) throw new Error(`invalid bind address (${given}): parse "tcp://${addr}": invalid host`);
  if (m[3] && m[3] !== '/') throw new Error(`invalid bind address (${given}): should not contain a path element`);
  const hostname = m[1] || DEFAULT_TCP_HOST.hostname;
  const port = m[2] || DEFAULT_TCP_HOST.port;
  const n = Number(port);
  if (!/^\d+$/.test(port) || n > 65535) throw new Error(`invalid bind address (${given}): invalid port "${port}"`);
  return `tcp://${hostname}:${n}`;
}

export type ListenAddress =
  | { proto: 'unix'; host: string; path: string }
  | { proto: 'tcp'; host: string; hostname: string; port: number }
  | { proto: 'fd'; host: string; fds: number[] };

/** What startDaemon checks before it opens anything, and opens once the API is ready. */
export interface ListenerPlan {
  addresses: ListenAddress[];
  /** For tcp:// and fd:// listeners when TLS is on (never for unix sockets, as dockerd). */
  tls?: tls.TlsOptions;
  /** The unix sockets' group. */
  gid: number;
  /** Activated sockets that no fd://N asks for. */
  unusedFds: number[];
}

export interface ListenerConfig {
  hosts: string[];
  tls: TlsSettings;
  /** -G/--group: a group name or gid ("" keeps the daemon's group). */
  socketGroup: string;
}

/**
 * Check everything a listener needs, with dockerd's words for what is wrong: the hosts, the
 * TLS files, the socket group, the activated sockets, and the refusal of a TCP listener
 * without --tlsverify unless the operator said --tls=false or --tlsverify=false.
 */
export async function planListeners(cfg: ListenerConfig, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<ListenerPlan> {
  const hosts = (cfg.hosts.length ? cfg.hosts : ['']).map((h) => parseDaemonHost(h, cfg.tls.enabled));
  const tlsOptions = cfg.tls.enabled ? serverTls(cfg.tls) : undefined;
  const addresses: ListenAddress[] = [];
  let activated: number[] | undefined;
  let gid: number | undefined;
  for (const host of hosts) {
    const [proto, addr] = [host.slice(0, host.indexOf('://')), host.slice(host.indexOf('://') + 3)];
    if (proto === 'unix') {
      gid ??= await socketGid(cfg.socketGroup, addr, log);
      addresses.push({ proto, host, path: addr });
    } else if (proto === 'tcp') {
      if (!cfg.tls.verify) {
        // It's a bad idea to bind to TCP without --tlsverify: refused unless asked for in so many words.
        if (!cfg.tls.explicitlyOff) {
          throw new Error(
            `failed to load listeners: Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network (host="${host}"). Use --tlsverify with --tlscacert, --tlscert and --tlskey, or run without authentication by explicitly specifying '--tls=false' or '--tlsverify=false'`,
          );
        }
        log.warn({ host }, 'Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network.');
        log.warn({ host }, 'Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!');
      }
      const i = addr.lastIndexOf(':');
      addresses.push({ proto, host, hostname: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) });
    } else {
      activated ??= activatedFds(env);
      addresses.push({ proto: 'fd', host, fds: pickFds(activated, addr) });
    }
  }
  const used = new Set(addresses.flatMap((a) => (a.proto === 'fd' ? a.fds : [])));
  const unusedFds = (activated ?? []).filter((fd) => !used.has(fd));
  return { addresses, tls: tlsOptions, gid: gid ?? process.getgid?.() ?? 0, unusedFds };
}

/** The server's TLS options from the files, refused with go-connections' words when they do not load. */
function serverTls(s: TlsSettings): tls.TlsOptions {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(s.cert);
    key = readFileSync(s.key);
  } catch (e) {
    throw new Error(`invalid TLS configuration: Could not load X509 key pair (cert: "${s.cert}", key: "${s.key}"): ${goFileError(e as NodeJS.ErrnoException)}`);
  }
  try {
    tls.createSecureContext({ cert, key });
  } catch (e) {
    throw new Error(`invalid TLS configuration: Error reading X509 key pair (cert: "${s.cert}", key: "${s.key}"): ${(e as Error).message}. Make sure the key is not encrypted.`);
  }
  // dockerd's floor is TLS 1.2, as node's.
  const options: tls.TlsOptions = { cert, key, minVersion: 'TLSv1.2' };
  if (s.verify) {
    let ca: Buffer;
    try {
      ca = readFileSync(s.caCert);
    } catch (e) {
      throw new Error(`invalid TLS configuration: could not read CA certificate "${s.caCert}": ${goFileError(e as NodeJS.ErrnoException)}`);
    }
    try {
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no certificate');
      tls.createSecureContext({ ca });
    } catch {
      throw new Error(`invalid TLS configuration: failed to append certificates from PEM file: "${s.caCert}"`);
    }
    // Only that CA (dockerd's ExclusiveRootPools), and a client without a certificate is refused.
    Object.assign(options, { ca, requestCert: true, rejectUnauthorized: true });
  }
  return options;
}

/** Go's words for a file that cannot be opened ("open /x: no such file or directory"). */
function goFileError(e: NodeJS.ErrnoException): string {
  const what: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory' };
  return e.path && e.code && what[e.code] ? `${e.code === 'EISDIR' ? 'read' : 'open'} ${e.path}: ${what[e.code]}` : e.message;
}

/**
 * -G as dockerd's lookupGID: a group name or gid from /etc/group, else a number taken as a gid.
 * dockerd's default group ("docker") may be missing: then the socket keeps the daemon's group,
 * with a warning; any other missing group is an error.
 */
async function socketGid(group: string, socketPath: string, log: Logger): Promise<number> {
  if (group === '') return process.getgid?.() ?? 0;
  const text = await fsp.readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (gid !== undefined && (name === group || gid === group) && /^\d+$/.test(gid)) return Number(gid);
  }
  if (/^\d+$/.test(group)) {
    log.warn(`Could not find GID ${group}`);
    return Number(group);
  }
  if (group !== DEFAULT_SOCKET_GROUP) throw new Error(`failed to load listeners: group ${group} not found`);
  log.warn(`could not change group ${socketPath} to ${DEFAULT_SOCKET_GROUP}: group ${DEFAULT_SOCKET_GROUP} not found`);
  return process.getgid?.() ?? 0;
}

/** The sockets systemd passed (LISTEN_PID is this process, LISTEN_FDS of them from fd 3), read once. */
function activatedFds(env: NodeJS.ProcessEnv): number[] {
  const pid = Number(env.LISTEN_PID);
  const count = Number(env.LISTEN_FDS);
  // Not for the children: as go-systemd's activation.Files(true).
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (pid !== process.pid || !Number.isInteger(count) || count < 1) return [];
  return Array.from({ length: count }, (_, i) => 3 + i);
}

/** fd:// is every activated socket, fd://N the one at N; dockerd's words when they are missing. */
function pickFds(fds: number[], addr: string): number[] {
  if (fds.length === 0) throw new Error('failed to load listeners: no sockets found via socket activation: make sure the service was started by systemd');
  if (addr === '' || addr === '*') return fds;
  if (!/^\d+$/.test(addr)) throw new Error(`failed to load listeners: failed to parse systemd fd address: should be a number: ${addr}`);
  const n = Number(addr);
  if (n < 3 || n - 3 >= fds.length) throw new Error('failed to load listeners: too few socket activated files passed in by systemd');
  return [n];
}

export interface OpenListeners {
  /** What each listener serves, as "unix:///path", "tcp://127.0.0.1:2376" (the port bound), "fd://3". */
  hosts: string[];
  /** Stop accepting, end every connection, remove the unix socket files. */
  close(): Promise<void>;
}

/**
 * Open the planned listeners and hand their connections to the API's HTTP server (which never
 * listens itself). A TLS listener reads a connection's first bytes: a TLS handshake goes on to
 * TLS, plain HTTP gets Go's answer ("Client sent an HTTP request to an HTTPS server."), as dockerd.
 */
export async function openListeners(plan: ListenerPlan, api: HttpServer, log: Logger): Promise<OpenListeners> {
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const files: string[] = [];
  const hosts: string[] = [];
  // Half-open as node's HTTP server: a hijacked attach whose client closed its writing side
  // (no stdin) still gets the container's output.
  const tlsServer = plan.tls ? tls.createServer({ ...plan.tls, allowHalfOpen: true }) : undefined;
  tlsServer?.on('secureConnection', (s: tls.TLSSocket) => api.emit('connection', s));
  tlsServer?.on('tlsClientError', (err: Error, s: tls.TLSSocket) => log.debug({ remote: s.remoteAddress, err: err.message }, 'http: TLS handshake error'));

  // The HTTP server never listens itself: told it does, it tracks the connections it is handed
  // and enforces its timeouts (headersTimeout: a client that never finishes its headers is cut).
  if (!api.listening) api.emit('listening');
  const plain = (c: net.Socket) => api.emit('connection', c);
  const secure = (c: net.Socket) => {
    // A connection that says nothing is not kept forever (the HTTP server's timeouts start after this).
    c.setTimeout(60_000, () => c.destroy());
    c.once('data', (first: Buffer) => {
      c.setTimeout(0);
      c.pause();
      c.unshift(first);
      if (first[0] === 0x16) tlsServer!.emit('connection', c);
      else if (/^(GET \/|HEAD |POST |PUT \/|OPTIO)/.test(first.subarray(0, 5).toString('latin1'))) c.end('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
      else c.destroy();
    });
  };
  const serve = (handle: (c: net.Socket) => void) => {
    const server = net.createServer({ allowHalfOpen: true }, (c) => {
      sockets.add(c);
      c.on('error', () => undefined);
      c.once('close', () => sockets.delete(c));
      handle(c);
    });
    servers.push(server);
    return server;
  };
  const listen = (server: net.Server, what: net.ListenOptions) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(what, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const close = async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))).concat(Array.from(sockets, async (c) => void c.destroy())));
    for (const f of files) await fsp.rm(f, { force: true });
  };

  try {
    for (const a of plan.addresses) {
      if (a.proto === 'unix') {
        await fsp.mkdir(path.dirname(a.path), { recursive: true });
        // The daemon holds the journal lock, so a socket file here is a dead daemon's leftover.
        await fsp.rm(a.path, { force: true });
        const server = serve(plain);
        // Made 0600 (no moment when others could connect), then given to the group, 0660. The
        // umask is the process's: restored at once, as listen() binds before it returns.
        const old = process.umask(0o177);
        let bound: Promise<void>;
        try {
          bound = listen(server, { path: a.path });
        } finally {
          process.umask(old);
        }
        await bound.catch((e: Error) => {
          throw new Error(`failed to load listeners: can't create unix socket ${a.path}: ${e.message}`);
        });
        files.push(a.path);
        await fsp.chown(a.path, 0, plan.gid).catch((e: Error) => log.warn({ err: e.message }, `cannot give ${a.path} to group ${plan.gid}`));
        await fsp.chmod(a.path, 0o660);
        hosts.push(a.host);
      } else if (a.proto === 'tcp') {
        const server = serve(plan.tls ? secure : plain);
        try {
          await listen(server, { host: a.hostname, port: a.port });
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          const why = err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.code === 'EADDRNOTAVAIL' ? 'bind: cannot assign requested address' : err.message;
          throw new Error(`failed to load listeners: listen tcp ${a.hostname.includes(':') ? `[${a.hostname}]` : a.hostname}:${a.port}: ${why}`);
        }
        const bound = server.address() as net.AddressInfo;
        hosts.push(`tcp://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`);
      } else {
        for (const fd of a.fds) {
          const server = serve(plan.tls ? secure : plain);
          try {
            await listen(server, { fd } as net.ListenOptions);
          } catch (e) {
            throw new Error(`failed to load listeners: failed to listen on systemd activated file: fd ${fd}: ${(e as Error).message}`);
          }
          hosts.push(`fd://${fd}`);
        }
      }
    }
  } catch (e) {
    await close();
    throw e;
  }
  // Activated sockets not asked for (fd://N): closed, as dockerd closes them.
  for (const fd of plan.unusedFds) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
  for (const h of hosts) log.info({ host: h }, 'API listen on');
  return { hosts, close };
}
