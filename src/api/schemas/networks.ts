import { arrayOf, bool, EOF_BODY, goBody, goStruct, qStr, query, str, strMap } from './go-json';
import { endpointSettings } from './containers';

/** Network shapes (API 1.41, the struct names dockerd 20.10 reports). */
const ipamConfig = goStruct('IPAMConfig', 'network.IPAMConfig', { Subnet: str(), IPRange: str(), Gateway: str(), AuxiliaryAddresses: strMap() });

export const networkCreateBody = goBody('NetworkCreateRequest', 'types.NetworkCreateRequest', {
  Name: str(),
  CheckDuplicate: bool(),
  Driver: str(),
  Scope: str(),
  EnableIPv6: bool(),
  IPAM: goStruct('IPAM', 'network.IPAM', { Driver: str(), Options: strMap(), Config: arrayOf('[]network.IPAMConfig', ipamConfig) }),
  Internal: bool(),
  Attachable: bool(),
  Ingress: bool(),
  ConfigOnly: bool(),
  ConfigFrom: goStruct('ConfigReference', 'network.ConfigReference', { Network: str() }),
  Options: strMap(),
  Labels: strMap(),
}, EOF_BODY);

export const networkConnectBody = goBody('NetworkConnect', 'types.NetworkConnect', {
  Container: str(),
  EndpointConfig: endpointSettings('EndpointSettings'),
}, EOF_BODY);

export const networkDisconnectBody = goBody('NetworkDisconnect', 'types.NetworkDisconnect', { Container: str(), Force: bool() }, EOF_BODY);

export const networkListQuery = query({ filters: qStr() });
export const networkPruneQuery = query({ filters: qStr() });
