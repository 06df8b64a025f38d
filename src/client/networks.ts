/** The client's network calls. */
import { encodeFilters, type RequestsClass } from './request';
import type { NetworkSummary } from '../wire/docker';
export type { NetworkSummary } from '../wire/docker';

export function NetworkCalls<B extends RequestsClass>(Base: B) {
  return class extends Base {
    networkCreate(body: Record<string, unknown>): Promise<{ Id: string; Warning?: string }> {
      return this.json('POST', '/networks/create', { body });
    }

    networkList(filters: Record<string, string[]> = {}): Promise<NetworkSummary[]> {
      return this.json('GET', '/networks', { query: { filters: encodeFilters(filters) } });
    }

    networkInspectRaw(ref: string): Promise<string> {
      return this.text('GET', `/networks/${encodeURIComponent(ref)}`);
    }

    networkRemove(ref: string): Promise<void> {
      return this.json('DELETE', `/networks/${encodeURIComponent(ref)}`);
    }

    networkPrune(filters: Record<string, string[]> = {}): Promise<{ NetworksDeleted: string[] | null }> {
      return this.json('POST', '/networks/prune', { query: { filters: encodeFilters(filters) } });
    }

    networkConnect(ref: string, container: string, endpointConfig: Record<string, unknown>): Promise<void> {
      return this.json('POST', `/networks/${encodeURIComponent(ref)}/connect`, { body: { Container: container, EndpointConfig: endpointConfig } });
    }

    networkDisconnect(ref: string, container: string, force = false): Promise<void> {
      return this.json('POST', `/networks/${encodeURIComponent(ref)}/disconnect`, { body: { Container: container, Force: force } });
    }
  };
}
