/**
 * Docker's wire shapes: the JSON the Engine API answers with, as the API server writes it
 * (src/api/wire builds them from the views) and the clients read it (src/client, src/cli).
 * One definition for both sides, so a field the server drops or renames breaks the build.
 */
export interface ContainerPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: ContainerPort[] | null;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts?: { Name?: string; Source?: string; Destination?: string }[];
  HostConfig?: { NetworkMode: string };
  NetworkSettings?: { Networks?: Record<string, unknown> | null };
}

export type ContainerInspect = Record<string, unknown> & {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number };
  Config: { Tty: boolean; OpenStdin?: boolean } & Record<string, unknown>;
};

export interface CreateResponse {
  Id: string;
  Warnings: string[] | null;
}

export interface WaitResponse {
  StatusCode: number;
  Error?: { Message: string } | null;
}

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  VirtualSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated?: boolean;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

/** One address pool of a network's IPAM config. */
export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** A container on a network, as network inspect lists it. */
export interface NetworkContainer {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** GET /networks and /networks/{id} (Containers filled by inspect only). */
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
  IPAM?: { Driver: string; Options: Record<string, string> | null; Config: IpamConfig[] };
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigFrom?: { Network: string };
  ConfigOnly?: boolean;
  Containers?: Record<string, NetworkContainer>;
  Options?: Record<string, string> | null;
}

export interface VolumeSummary {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  Scope: string;
}

export interface VersionResponse {
  Platform?: { Name: string };
  Components?: { Name: string; Version: string; Details?: Record<string, string> }[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  BuildTime?: string;
  Experimental?: boolean;
}

export type InfoResponse = Record<string, unknown> & {
  ID?: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  ServerVersion?: string;
  Driver?: string;
  DriverStatus?: [string, string][] | null;
  DockerRootDir?: string;
};

export interface DiskUsage {
  LayersSize: number;
  Images: ImageSummary[] | null;
  Containers: ContainerSummary[] | null;
  Volumes: (VolumeSummary & { UsageData?: { Size: number; RefCount: number } })[] | null;
  BuildCache: { Size: number; Shared: boolean; InUse: boolean }[] | null;
}

/** One line of GET /events, as the daemon writes it. */
export interface DockerEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  /** int64 nanoseconds: kept as a bigint, written as a bare JSON number by eventJson(). */
  timeNano: bigint;
}

/** One line of GET /events as a client reads it (an older daemon may leave fields out). */
export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> | null };
  scope?: string;
  time?: number;
  /** int64 nanoseconds kept exact (JSON numbers this large do not fit a double). */
  timeNano?: bigint;
}
