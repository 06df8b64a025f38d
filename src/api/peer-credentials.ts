import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { loadAddon } from '../native/addon';
import type { Socket } from 'node:net';

/** The credentials of the process at the other end of a unix socket, as SO_PEERCRED gives them. */
export interface PeerCredentials {
  uid: number;
  gid: number;
  pid: number;
}

type NativePeercred = (fd: number) => PeerCredentials | null;

let native: NativePeercred | null | undefined;

/**
 * The SO_PEERCRED addon (src/native/peercred.c, built by scripts/build-native.sh into
 * build/native/): node has no getsockopt. Absent (no compiler on the machine), ss(8) answers.
 */
function loadNative(): NativePeercred | null {
  if (native === undefined) native = loadAddon<{ peercred: NativePeercred }>('peercred.node')?.peercred ?? null;
  return native;
}

/** Which way credentials are read: 'SO_PEERCRED' (the addon) or 'ss' (sock_diag through ss(8)). */
export function peerCredentialsMethod(): 'SO_PEERCRED' | 'ss' {
  return loadNative() ? 'SO_PEERCRED' : 'ss';
}

const cache = new WeakMap<Socket, Promise<PeerCredentials | undefined>>();

/**
 * The peer of an accepted unix socket connection: read once per connection (credentials are
 * fixed at connect time), undefined when they cannot be read (a TCP client, no addon and no ss).
 * Never throws: a request never fails for want of them.
 */
export function peerCredentials(socket: Socket): Promise<PeerCredentials | undefined> {
  let p = cache.get(socket);
  if (!p) {
    p = readPeer(socket).catch(() => undefined);
    cache.set(socket, p);
  }
  return p;
}

async function readPeer(socket: Socket): Promise<PeerCredentials | undefined> {
  // A TCP (or TLS) client has an address and no credentials: SO_PEERCRED would answer nobody's.
  if (socket.remoteAddress !== undefined) return undefined;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const n = loadNative();
  if (n) return n(fd) ?? undefined;
  return viaSs(fd);
}

/**
 * Without the addon: the socket's inode (/proc/self/fd), its peer's inode and the process that
 * holds the peer, from `ss -xpn` (the kernel's sock_diag, UNIX_DIAG_PEER: /proc/net/unix does
 * not pair the two ends), then that process's effective uid and gid from /proc/<pid>/status.
 * About 20 ms per connection (a process spawn); cached per connection.
 */
async function viaSs(fd: number): Promise<PeerCredentials | undefined> {
  const link = await fsp.readlink(`/proc/self/fd/${fd}`);
  const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
  if (!inode) return undefined;
  const out = await new Promise<string>((resolve, reject) =>
    execFile('ss', ['-xpnH'], { timeout: 2000, maxBuffer: 16 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  const rows = out.split('\n').map((l) => /^\S+\s+\S+\s+\d+\s+\d+\s+(?:.*?\s)?(\d+)\s+\S+\s+(\d+)\s*(.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const peer = rows.find((m) => m[1] === inode)?.[2];
  const pid = peer && rows.find((m) => m[1] === peer)?.[3].match(/pid=(\d+)/)?.[1];
  if (!pid) return undefined;
  const status = await fsp.readFile(`/proc/${pid}/status`, 'utf8');
  const uid = /^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1];
  const gid = /^Gid:\s+\d+\s+(\d+)/m.exec(status)?.[1];
  if (uid === undefined || gid === undefined) return undefined;
  return { uid: Number(uid), gid: Number(gid), pid: Number(pid) };
}
