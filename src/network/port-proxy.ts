import net from 'node:net';

/** One forwarded port: connections to listen.host:listen.port are relayed to target. */
export interface ProxyRoute {
  host: string;
  port: number;
  targetHost: string;
  targetPort: number;
}

const keyOf = (r: ProxyRoute): string => `[${r.host}]:${r.port}`;
const CONNECT_TIMEOUT_MS = 5000;

/**
 * A userland TCP relay for what DNAT cannot do: the kernel has no route_localnet for IPv6 and
 * drops a loopback-sourced packet DNATed onto a bridge, so a published port's [::1] is served
 * by a listener in the daemon (Docker's docker-proxy does the same). It answers while the
 * daemon runs; the DNAT rules serve every other address also while it is down.
 */
export class PortProxy {
  private readonly servers = new Map<string, { route: ProxyRoute; server: net.Server; sockets: Set<net.Socket> }>();

  constructor(private readonly onError: (route: ProxyRoute, err: Error) => void) {}

  /** Listen for exactly these routes: new ones opened, changed or gone ones closed. */
  async sync(routes: ProxyRoute[]): Promise<void> {
    const want = new Map(routes.map((r) => [keyOf(r), r]));
    for (const [k, s] of this.servers) {
      const r = want.get(k);
      if (!r || r.targetHost !== s.route.targetHost || r.targetPort !== s.route.targetPort) this.stop(k);
    }
    for (const [k, r] of want) if (!this.servers.has(k)) await this.start(k, r);
  }

  close(): void {
    for (const k of [...this.servers.keys()]) this.stop(k);
  }

  private start(k: string, route: ProxyRoute): Promise<void> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
      const upstream = net.connect({ host: route.targetHost, port: route.targetPort, timeout: CONNECT_TIMEOUT_MS });
      sockets.add(client).add(upstream);
      upstream.once('connect', () => upstream.setTimeout(0));
      upstream.once('timeout', () => upstream.destroy());
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.pipe(upstream).pipe(client);
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    this.servers.set(k, { route, server, sockets });
    return new Promise((resolve) => {
      server.once('error', (e) => {
        // A port someone else holds on [::1] costs that address, not the container (as DNAT serves the others).
        this.servers.delete(k);
        this.onError(route, e);
        resolve();
      });
      server.listen({ host: route.host, port: route.port, ipv6Only: true, exclusive: true }, () => resolve());
    });
  }

  private stop(k: string): void {
    const s = this.servers.get(k);
    if (!s) return;
    this.servers.delete(k);
    s.server.close();
    for (const sock of s.sockets) sock.destroy();
  }
}
