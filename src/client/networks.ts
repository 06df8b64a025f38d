/** The client's network calls. */
import { encodeFilters, type RequestsClass } from './request';

export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Created: string;
  Internal: boolean;
  EnableIPv4?: boolean;
  EnableIPv6: boolean;
  Labels: Record<string, string> | null;
}

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
