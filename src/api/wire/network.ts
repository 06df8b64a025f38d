import type { NetworkContainer, NetworkSummary } from '../../wire/docker';
import type { ContainerView } from '../../domain/container';
import type { NetworkEntry } from '../../engine/networks/networks';

/** Docker's network JSON (GET /networks, GET /networks/{id}); Containers only where asked for. */
export function toNetwork(n: NetworkEntry, containers?: ContainerView[]): NetworkSummary {
  const attached: Record<string, NetworkContainer> = {};
  for (const c of containers ?? []) {
    const a = Object.values(c.networks ?? {}).find((x) => x.networkId === n.id);
    if (!a) continue;
    attached[c.id] = { Name: c.name, EndpointID: a.hostIf, MacAddress: a.mac, IPv4Address: `${a.ip}/${a.prefix}`, IPv6Address: a.ip6 ? `${a.ip6}/${a.prefix6}` : '' };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: n.driver === 'bridge',
    EnableIPv6: !!n.enableIPv6,
    IPAM: {
      Driver: 'default',
      // As the create asked: null without options (and for the predefined networks).
      Options: n.ipamOptions ?? null,
      // IPv4 first, then the IPv6 subnet as given, its Gateway only when one was given (dockerd 20.10's shape).
      Config: [
        ...(n.subnet ? [{ Subnet: n.subnet, ...(n.ipRange ? { IPRange: n.ipRange } : {}), Gateway: n.gateway, ...(n.auxAddresses ? { AuxiliaryAddresses: n.auxAddresses } : {}) }] : []),
        ...(n.subnet6 ? [{ Subnet: n.subnet6, ...(n.gateway6 ? { Gateway: n.gateway6 } : {}) }] : []),
      ],
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: attached,
    Options: n.options,
    Labels: n.labels,
  };
}
