import { isRunning } from '../../domain/container';
import { WharfError } from '../../domain/errors';
import type { WharfEvent } from '../../domain/events';
import { connectEndpoint, disconnectEndpoint } from '../../network/bridge';
import { allocate, attachmentsOf, bridgeNetworkById, IPAM_LOCK, syncNat, v6Of } from './container-network';
import { appendFor, getContainer } from '../lookup';
import { endpointExtras, getNetwork, type EndpointSettings } from './networks';
import { crashPoint } from '../lib/crash-point';

import type { EngineDeps } from '../ports';

/** What connect-network uses of the engine. */
export type ConnectNetworkDeps = Pick<EngineDeps, 'journal' | 'views' | 'containersDir' | 'log' | 'locks' | 'network' | 'netDefaults' | 'bootTime' | 'portProxy'>;
const forbidden = (msg: string) => new WharfError('forbidden', msg);

export interface ConnectRequest {
  Container: string;
  EndpointConfig?: EndpointSettings | null;
}

/**
 * docker network connect: the container becomes a member of the network; a running one
 * gets its address and interface (ethN) there at once.
 */
export async function connectNetwork(ctx: ConnectNetworkDeps, ref: string, req: ConnectRequest): Promise<void> {
  const n = getNetwork(ctx, ref);
  const { id } = getContainer(ctx.views, req.Container);
  await ctx.locks.run(id, async () => {
    const c = getContainer(ctx.views, id);
    const mode = c.hostConfig.NetworkMode || 'default';
    if (n.driver !== 'bridge') throw forbidden(`container cannot be disconnected from host network or connected to host network`);
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) {
      throw forbidden('container sharing network namespace with another container or host cannot be connected to any other network');
    }
    if (c.endpoints?.[n.id] || attachmentsOf(c).some((a) => a.networkId === n.id)) {
      throw forbidden(`endpoint with name ${c.name} already exists in network ${n.name}`);
    }
    const aliases = [...new Set(req.EndpointConfig?.Aliases ?? [])];
    const ip = req.EndpointConfig?.IPAMConfig?.IPv4Address || undefined;
    if (n.predefined && (aliases.length || ip || req.EndpointConfig?.IPAMConfig?.IPv6Address)) {
      throw new WharfError('invalid-argument', aliases.length ? 'network-scoped alias is supported only for containers in user defined networks' : 'user specified IP address is supported on user defined networks only');
    }
    const endpoint = { network: n.name, networkId: n.id, aliases, ...(ip ? { ipv4Address: ip } : {}), ...endpointExtras(req.EndpointConfig) };
    const net = bridgeNetworkById(ctx, n.id)!;
    const events: WharfEvent[] = [{ type: 'container.network-joined', data: { id, ...endpoint } }];
    if (!isRunning(c)) {
      await appendFor(ctx, c, events);
      return;
    }
    const used = new Set(attachmentsOf(c).map((a) => a.ifName ?? 'eth0'));
    let index = 0;
    while (used.has(`eth${index}`) && index < 64) index++;
    // The interface first, then the facts, under the allocator's lock (the journal is its
    // memory): a connect that fails records nothing and leaves no interface behind.
    await ctx.locks.run(IPAM_LOCK, async () => {
      const a = allocate(ctx, c, endpoint, net, index, false);
      try {
        const routed = attachmentsOf(c).some((x) => !bridgeNetworkById(ctx, x.networkId)?.internal);
        await connectEndpoint({ pid: c.pid, hostIf: a.hostIf, bridge: a.bridge, ip: a.ip, prefix: a.prefix, gateway: a.gateway, mac: a.mac, mtu: net.mtu, ifName: a.ifName!, defaultRoute: !routed && !net.internal, linkLocalIPs: a.linkLocalIPs, ...v6Of(a) });
        crashPoint('connect.after-endpoint');
        await appendFor(ctx, c, [...events, { type: 'container.network-connected', data: { id, ...a } }]);
      } catch (e) {
        await disconnectEndpoint(a.hostIf).catch((err: Error) => ctx.log.warn({ id, err: err.message }, 'cannot remove the interface of a failed connect'));
        throw e;
      }
    });
  });
}

/** docker network disconnect: a running container loses its interface there; the membership ends. */
export async function disconnectNetwork(ctx: ConnectNetworkDeps, ref: string, req: { Container: string; Force?: boolean }): Promise<void> {
  const n = getNetwork(ctx, ref);
  const { id } = getContainer(ctx.views, req.Container);
  await ctx.locks.run(id, async () => {
    const c = getContainer(ctx.views, id);
    if (n.driver !== 'bridge') throw forbidden('container cannot be disconnected from host network or connected to host network');
    const a = attachmentsOf(c).find((x) => x.networkId === n.id);
    if (!a && !c.endpoints?.[n.id]) throw forbidden(`container ${c.id} is not connected to network ${n.name}`);
    const events: WharfEvent[] = [];
    if (a) {
      await disconnectEndpoint(a.hostIf);
      events.push({ type: 'container.network-disconnected', data: { id, network: n.name, networkId: n.id } });
    }
    events.push({ type: 'container.network-left', data: { id, network: n.name, networkId: n.id } });
    await appendFor(ctx, c, events);
    if (a?.ports.length) await syncNat(ctx);
  });
}
