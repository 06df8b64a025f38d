import type { PublishedPort } from './network';
/**
 * The facts Wharf records. Each is a past-tense event with a version; the catalogue in the
 * top-level journal/ folder describes them and maps them to Docker's action names.
 */
import type { ResourceLimits } from './resources';

/** An exec session's process, as exec create asks for it (kept by exec.created). */
export interface ExecConfig {
  Cmd: string[];
  Env: string[];
  User: string;
  WorkingDir: string;
  Tty: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Privileged: boolean;
  DetachKeys: string;
}

/** Docker's Config.Healthcheck (HEALTHCHECK, --health-*); durations in nanoseconds, 0 meaning "the default". */
export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface ProbeResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  ExposedPorts?: Record<string, object>;
  Healthcheck?: HealthConfig;
  /** --mac-address (API < 1.44): the primary network interface's address. */
  MacAddress?: string;
  /** The shell of CMD-SHELL health checks (the request's, else the image's SHELL). */
  Shell?: string[];
}

/** One --mount of the request (HostConfig.Mounts), as Docker's API gives it. */
export interface MountRequest {
  Type: string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { NonRecursive?: boolean } | null;
  VolumeOptions?: { Subpath?: string } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] | null } | null;
}

/** A throttle of one device (blkio): its path and a rate or weight. */
export interface DeviceRate {
  Path: string;
  Rate: number;
}

/**
 * A container's host options as Docker's API names them, every field typed: what create
 * recorded (validated at the edge, refused where it cannot be applied, see the field walk
 * test), and nothing else. Optional where older facts or requests may lack it.
 */
export interface HostConfig extends ResourceLimits {
  AutoRemove: boolean;
  NetworkMode: string;
  RestartPolicy: { Name: string; MaximumRetryCount: number };
  Privileged: boolean;
  ReadonlyRootfs: boolean;
  Binds: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: { Type: string; Config: Record<string, string> | null };
  PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  ConsoleSize?: number[] | null;
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: string;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  PidMode?: string;
  PublishAllPorts?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  Isolation?: string;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  Mounts?: MountRequest[] | null;
  Init?: boolean | null;
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: { Path: string; Weight: number }[] | null;
  BlkioDeviceReadBps?: DeviceRate[] | null;
  BlkioDeviceWriteBps?: DeviceRate[] | null;
  BlkioDeviceReadIOps?: DeviceRate[] | null;
  BlkioDeviceWriteIOps?: DeviceRate[] | null;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: Record<string, unknown>[] | null;
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  MemoryReservation?: number;
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
}

/**
 * One mount of a container, resolved at create time in Docker's inspect shape (Mounts[]),
 * plus what the engine needs to set it up.
 */
export interface MountPoint {
  Type: 'volume' | 'bind' | 'tmpfs';
  /** The volume's name (volumes only). */
  Name?: string;
  /** Host path: the volume's _data dir, or the bind's source. */
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** A volume made for this container (no name given): rm -v and --rm remove it. */
  Anonymous?: boolean;
  /** Copy the image's content at Destination into the volume while the volume is empty. */
  CopyData?: boolean;
  /** Copied from another container's mounts (--volumes-from): the engine mounts it itself. */
  From?: string;
}

export interface ImageConfig {
  Env?: string[];
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object> | null;
  StopSignal?: string;
  OnBuild?: string[] | null;
  Healthcheck?: HealthConfig | null;
  /** SHELL of a Dockerfile: the shell of later shell-form RUN, CMD and ENTRYPOINT steps of child builds. */
  Shell?: string[];
}

export interface ContainerCreated {
  type: 'container.created';
  data: {
    id: string;
    name: string;
    image: string; // as the user typed it
    imageId: string;
    created: string; // RFC3339Nano
    path: string;
    args: string[];
    config: ContainerConfig;
    hostConfig: HostConfig;
    /** Volumes, binds and tmpfs mounts as resolved at create (absent in journals from before volumes). */
    mounts?: MountPoint[];
  };
}
/**
 * restart: the restart policy started it (counts in RestartCount), not a user. hostConfig and
 * mounts: a client of API < 1.24 gave the host config at start (it replaces the one of create).
 */
export interface ContainerStartRequested {
  type: 'container.start-requested';
  data: { id: string; restart?: boolean; hostConfig?: HostConfig; mounts?: MountPoint[] };
}
/** The restart policy will start the container again after delayMs (status "restarting"). */
export interface ContainerRestartScheduled { type: 'container.restart-scheduled'; data: { id: string; delayMs: number } }
/** A health probe ran (docker run --health-cmd); failingStreak is the streak it leaves. */
export interface ContainerHealthProbed { type: 'container.health-probed'; data: { id: string; failingStreak: number } & ProbeResult }
/** The container's health changed (starting → healthy / unhealthy ...). */
export interface ContainerHealthStatus { type: 'container.health-status'; data: { id: string; status: HealthStatus } }
/** Where a running container sits on a network: its address, its end of the veth, its published ports. */
export interface NetworkAttachment {
  network: string;
  networkId: string;
  bridge: string;
  hostIf: string;
  ip: string;
  prefix: number;
  gateway: string;
  mac: string;
  ports: PublishedPort[];
  /** Network-scoped names the embedded DNS answers for it (--network-alias, compose's service name). */
  aliases?: string[];
  /** The interface's name inside the container (eth0, eth1 ...); eth0 when absent. */
  ifName?: string;
  /** Extra (link-local) addresses on the interface, as the endpoint asked. */
  linkLocalIPs?: string[];
  /** Its IPv6 address, prefix length and gateway there (a network with IPv6 enabled). */
  ip6?: string;
  prefix6?: number;
  gateway6?: string;
}
/** The container got an address on a network (before its process runs); a death releases it. */
export interface ContainerNetworkConnected { type: 'container.network-connected'; data: { id: string } & NetworkAttachment }
export interface ContainerNetworkDisconnected { type: 'container.network-disconnected'; data: { id: string; network: string; networkId: string } }
/**
 * The container is a member of a network (docker run --network, docker network connect): it
 * gets an address there whenever it runs. ipv4Address: the address asked for (--ip).
 */
export interface ContainerNetworkJoined {
  type: 'container.network-joined';
  data: {
    id: string;
    network: string;
    networkId: string;
    aliases: string[];
    ipv4Address?: string;
    /** The IPv6 address asked for (--ip6). */
    ipv6Address?: string;
    /** The interface's MAC there (--mac-address); else derived from its address. */
    macAddress?: string;
    /** Endpoint links ("name:alias"): names only this container's DNS queries resolve on that network. */
    links?: string[];
    /** Driver options, kept and shown as Docker's bridge driver keeps them. */
    driverOpts?: Record<string, string>;
    /** Extra link-local addresses on the interface (--link-local-ip). */
    linkLocalIPs?: string[];
  };
}
/** The container is no longer a member of the network (docker network disconnect). */
export interface ContainerNetworkLeft { type: 'container.network-left'; data: { id: string; network: string; networkId: string } }
/** A user-defined network (docker network create): its own bridge, subnet and nftables table. */
export interface NetworkCreated {
  type: 'network.created';
  data: {
    id: string;
    name: string;
    driver: 'bridge';
    created: string;
    /** The Linux bridge (br-<12 hex of the id>, or com.docker.network.bridge.name). */
    bridge: string;
    subnet: string;
    gateway: string;
    internal: boolean;
    attachable: boolean;
    labels: Record<string, string>;
    options: Record<string, string>;
    /** IPAM.Options as asked (only an empty map is accepted); absent when the request had none. */
    ipamOptions?: Record<string, string>;
    /** --ipv6: containers get an address of subnet6 and a default route via its gateway. */
    enableIPv6?: boolean;
    /** The IPv6 subnet of IPAM.Config, as given (kept, and listed, even without enableIPv6, as Docker does). */
    subnet6?: string;
    /** The IPv6 gateway, when one was given (else the subnet's first address). */
    gateway6?: string;
    /** --ip-range: where container addresses are taken from (a static --ip may be anywhere in the subnet). */
    ipRange?: string;
    /** --aux-address: addresses of the subnet never given to a container, by name. */
    auxAddresses?: Record<string, string>;
    /**
     * Whether Wharf made the bridge (false: an existing bridge named by com.docker.network.bridge.name,
     * used as it is and never removed). Absent in older journals: see wharfMadeBridge.
     */
    createdBridge?: boolean;
  };
}
export interface NetworkRemoved { type: 'network.removed'; data: { id: string; name: string } }
/** A user stopped a container that was waiting to be restarted: it stays exited. */
export interface ContainerRestartCancelled { type: 'container.restart-cancelled'; data: { id: string } }
/** A legacy link of the container was removed (docker rm --link): the HostConfig.Links entry that went. */
export interface ContainerLinkRemoved { type: 'container.link-removed'; data: { id: string; link: string } }
export interface ContainerStarted {
  type: 'container.started';
  data: { id: string; pid: number; conmonPid: number; startedAt: string };
}
export interface ContainerStartFailed {
  type: 'container.start-failed';
  data: { id: string; error: string; exitCode: number };
}
/** remove: the kill of a forced removal (rm -f), removeVolumes its -v: boot finishes a removal the crash cut after the kill. */
export interface ContainerKillRequested { type: 'container.kill-requested'; data: { id: string; signal: string; remove?: boolean; removeVolumes?: boolean } }
export interface ContainerStopRequested { type: 'container.stop-requested'; data: { id: string; timeout: number } }
export interface ContainerDied {
  type: 'container.died';
  data: { id: string; exitCode: number; finishedAt: string; reconciled?: boolean; oomKilled?: boolean; error?: string };
}
export interface ContainerOomKilled { type: 'container.oom-killed'; data: { id: string } }
/** commit: a commit froze it while its changes were read (thawed after; boot thaws one a crash left frozen). */
export interface ContainerPaused { type: 'container.paused'; data: { id: string; commit?: boolean } }
export interface ContainerUnpaused { type: 'container.unpaused'; data: { id: string } }
export interface ContainerRenamed { type: 'container.renamed'; data: { id: string; oldName: string; name: string } }
export interface ContainerStopped { type: 'container.stopped'; data: { id: string } }
export interface ContainerRemoveRequested { type: 'container.remove-requested'; data: { id: string } }
export interface ContainerDestroyed { type: 'container.destroyed'; data: { id: string } }
/** Resource limits (and the restart policy) a user changed with `docker update`. */
export interface HostConfigUpdate extends ResourceLimits {
  RestartPolicy?: { Name: string; MaximumRetryCount: number };
}
export interface ContainerUpdated { type: 'container.updated'; data: { id: string } & HostConfigUpdate }

/** An exec session (docker exec) in a running container; id is the session's, container the container's. */
export interface ExecCreated { type: 'exec.created'; data: { id: string; container: string; config: ExecConfig } }
export interface ExecStarted { type: 'exec.started'; data: { id: string; container: string; pid: number } }
export interface ExecDied { type: 'exec.died'; data: { id: string; container: string; exitCode: number; error?: string } }

export interface ImageImported {
  type: 'image.imported';
  data: {
    id: string; // sha256:<config digest>
    created: string;
    layers: string[]; // diff ids
    size: number;
    config: ImageConfig;
    comment: string;
    history: { created: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
    source: string;
  };
}
/** A container's changes became a new layer on top of its image's layers (docker commit). */
export interface ImageCommitted {
  type: 'image.committed';
  data: {
    id: string; // sha256:<config digest>
    created: string;
    layers: string[]; // diff ids, bottom first: the parent's and the new one
    /** Size of each layer (its uncompressed tar), bottom first. */
    layerSizes: number[];
    size: number;
    config: ImageConfig;
    comment: string;
    history: { created: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
    parent: string; // the image id the container ran
    author: string;
    container: string; // the container id
  };
}
/**
 * One step of a Dockerfile build made an image: its parent's layers, plus one layer for a
 * RUN, COPY or ADD step (none for a metadata-only step). Docker reports no event for it.
 */
export interface ImageBuilt {
  type: 'image.built';
  data: {
    id: string; // sha256:<config digest>
    created: string;
    layers: string[];
    layerSizes: number[];
    size: number;
    config: ImageConfig;
    comment: string;
    history: { created: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
    /** The image the step ran on (absent for the first step on scratch). */
    parent?: string;
    author: string;
    /** The build that made it. */
    build: string;
  };
}
/** A Dockerfile build began: where its context and Dockerfile came from, and what it was asked for. */
export interface BuildStarted {
  type: 'build.started';
  data: {
    id: string;
    /** sha256 of the context as the daemon received it (the tar, or the remote's bytes). */
    context: string;
    remote?: string;
    dockerfile: string;
    tags: string[];
    target?: string;
    /** Names only: build-arg values may be secrets. */
    buildArgs: string[];
    noCache: boolean;
    steps: number;
  };
}
/** A step of a build ended with an image: a new one, or one reused from the cache. */
export interface BuildStep {
  type: 'build.step';
  data: { id: string; step: number; stage: number; instruction: string; image: string; cached: boolean };
}
/** A build ended with its image (tagged in the same batch). */
export interface BuildFinished {
  type: 'build.finished';
  data: { id: string; image: string; tags: string[] };
}
/** A build stopped without an image: a step failed, the client went away, or the daemon stopped. */
export interface BuildFailed {
  type: 'build.failed';
  data: { id: string; step?: number; error: string };
}
/** An image came from an archive (docker load): its config and layers as the archive had them. */
export interface ImageLoaded {
  type: 'image.loaded';
  data: {
    id: string; // sha256:<config digest>
    created: string;
    layers: string[]; // diff ids, bottom first
    layerSizes: number[];
    size: number;
    config: ImageConfig;
    comment: string;
    history: { created: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
    author: string;
    platform?: ImagePlatform;
  };
}
/** A registry layer is in the store: its compressed blob (digest) was fetched and verified, its tar (id = diff id) checked and unpacked under chainId. Kept so an interrupted pull resumes. */
/** What an image's config says it runs on (absent in older facts: linux/amd64). */
export interface ImagePlatform {
  os: string;
  architecture: string;
  variant?: string;
}
export interface LayerPulled {
  type: 'layer.pulled';
  data: { id: string; chainId: string; digest: string; size: number; repository: string };
}
/** A pulled layer no image uses was removed (image prune): its tar and its unpacked chain. */
export interface LayerReleased {
  type: 'layer.released';
  data: { id: string; chainId: string };
}
/** An image came from a registry: its config (id = its digest) with every layer present; repoDigest names the manifest. */
export interface ImagePulled {
  type: 'image.pulled';
  data: {
    id: string;
    created: string;
    layers: string[];
    layerSizes: number[];
    size: number;
    config: ImageConfig;
    comment: string;
    history: { created: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
    author: string;
    /** What was pulled, as docker names it: "localhost:5000/app:1.0" or "...@sha256:...". */
    ref: string;
    /** "localhost:5000/app@sha256:<manifest digest>". */
    repoDigest: string;
    platform?: ImagePlatform;
  };
}
/** An image's manifest was put in a registry; layers name each layer's compressed blob there. */
export interface ImagePushed {
  type: 'image.pushed';
  data: { id: string; ref: string; repoDigest: string; size: number; layers: { diffId: string; digest: string; size: number }[] };
}
/** An image was written to an archive (docker save). */
export interface ImageSaved { type: 'image.saved'; data: { id: string } }
export interface ImageTagged { type: 'image.tagged'; data: { id: string; ref: string } }
export interface ImageUntagged { type: 'image.untagged'; data: { id: string; ref: string } }
export interface ImageDeleted { type: 'image.deleted'; data: { id: string } }

/** A volume's identity is its name: `id` is the name, as Docker's event Actor.ID is. */
export interface VolumeCreated {
  type: 'volume.created';
  data: { id: string; driver: string; createdAt: string; labels: Record<string, string> | null; options: Record<string, string> | null };
}
export interface VolumeRemoveRequested { type: 'volume.remove-requested'; data: { id: string } }
export interface VolumeRemoved { type: 'volume.removed'; data: { id: string } }
export interface VolumeMounted {
  type: 'volume.mounted';
  data: { id: string; container: string; destination: string; rw: boolean; propagation: string };
}
export interface VolumeUnmounted { type: 'volume.unmounted'; data: { id: string; container: string } }

export type WharfEvent =
  | ContainerCreated
  | ContainerStartRequested
  | ContainerStarted
  | ContainerStartFailed
  | ContainerKillRequested
  | ContainerStopRequested
  | ContainerDied
  | ContainerStopped
  | ContainerOomKilled
  | ContainerPaused
  | ContainerUnpaused
  | ContainerRenamed
  | ContainerRemoveRequested
  | ContainerDestroyed
  | ContainerUpdated
  | ContainerRestartScheduled
  | ContainerRestartCancelled
  | ContainerHealthProbed
  | ContainerNetworkConnected
  | ContainerNetworkDisconnected
  | ContainerHealthStatus
  | ContainerNetworkJoined
  | ContainerNetworkLeft
  | ContainerLinkRemoved
  | NetworkCreated
  | NetworkRemoved
  | ExecCreated
  | ExecStarted
  | ExecDied
  | ImageImported
  | ImageCommitted
  | ImageBuilt
  | BuildStarted
  | BuildStep
  | BuildFinished
  | BuildFailed
  | ImageLoaded
  | ImageSaved
  | ImagePulled
  | ImagePushed
  | LayerPulled
  | LayerReleased
  | ImageTagged
  | ImageUntagged
  | ImageDeleted
  | VolumeCreated
  | VolumeRemoveRequested
  | VolumeRemoved
  | VolumeMounted
  | VolumeUnmounted;

export type EventType = WharfEvent['type'];

/** The stream an event belongs to: "container:<id>", "exec:<id>", "image:<id>", "layer:<diff id>", "network:<id>", "volume:<name>" or "build:<id>". */
export function streamOf(e: WharfEvent): string {
  return `${e.type.split('.')[0]}:${e.data.id}`;
}

/** Current schema version of every event type. Bump it and add an upcaster when a shape changes. */
export const EVENT_VERSION: Record<EventType, number> = {
  'container.created': 1,
  'container.start-requested': 1,
  'container.started': 1,
  'container.start-failed': 1,
  'container.kill-requested': 1,
  'container.stop-requested': 1,
  'container.died': 1,
  'container.stopped': 1,
  'container.oom-killed': 1,
  'container.paused': 1,
  'container.unpaused': 1,
  'container.renamed': 1,
  'container.remove-requested': 1,
  'container.destroyed': 1,
  'container.updated': 1,
  'container.restart-scheduled': 1,
  'container.restart-cancelled': 1,
  'container.link-removed': 1,
  'container.health-probed': 1,
  'container.network-connected': 1,
  'container.network-disconnected': 1,
  'container.health-status': 1,
  'container.network-joined': 1,
  'container.network-left': 1,
  'network.created': 1,
  'network.removed': 1,
  'exec.created': 1,
  'exec.started': 1,
  'exec.died': 1,
  'image.imported': 1,
  'image.committed': 1,
  'image.built': 1,
  'build.started': 1,
  'build.step': 1,
  'build.finished': 1,
  'build.failed': 1,
  'image.tagged': 1,
  'image.untagged': 1,
  'image.deleted': 1,
  'image.loaded': 1,
  'image.saved': 1,
  'image.pulled': 1,
  'image.pushed': 1,
  'layer.pulled': 1,
  'layer.released': 1,
  'volume.created': 1,
  'volume.remove-requested': 1,
  'volume.removed': 1,
  'volume.mounted': 1,
  'volume.unmounted': 1,
};
