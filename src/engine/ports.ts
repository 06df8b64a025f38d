import type { Logger } from 'pino';
import type { ImageStore } from '../images/store';
import type { HostLimits } from '../runtime/host-options';
import type { Journal } from '../journal/journal';
import type { Views } from '../projections/views';
import type { RegistryOptions } from '../registry/client';
import type { RuncConmonRuntime } from '../runtime/runc-conmon';
import type { OverlayStorage } from '../storage/overlay';
import type { Quarantine } from '../storage/quarantine';
import type { LocalVolumes } from '../volumes/local-volumes';
import type { HealthLogs } from './supervisors/health-log';
import type { LogConfig } from '../domain/log-driver';
import type { KeyedLock } from './lib/keyed-lock';
import type { RestartTimers } from './supervisors/restart-timers';
import type { BridgeNetwork, NetworkDefaults } from '../domain/network';
import type { LiveEvents } from './lib/live-events';
import type { PortProxy } from '../network/port-proxy';

// The engine's ports: what an operation may be given, each typed by the methods the engine
// calls, never by a concrete class, so a test can hand an operation a fake of just what it
// uses. An operation names its own dependencies as `Pick<EngineDeps, ...>` (see any file of
// containers/, images/...); only the composition root (daemon/daemon.ts) builds the whole set.

/** Containers under runc and conmon: start, signal, exec, state, exit records. */
export type ContainerRuntime = Pick<
  RuncConmonRuntime,
  | 'paths' | 'runc' | 'bundleDir' | 'start' | 'monitor' | 'prewarm' | 'unwarm' | 'processesOf' | 'execDir' | 'exec' | 'resizeExec' | 'execAttachSocket'
  | 'attachSocket' | 'reopenLog' | 'resize' | 'pause' | 'unpause' | 'oomKilled' | 'kill' | 'delete' | 'abandon'
  | 'state' | 'readExit' | 'cleanup'
>;

/** Containers' root filesystems: a writable layer over the image's, mounted while they run. */
export type RootfsStore = { readonly driver: string } & Pick<OverlayStorage, 'root' | 'mergedDir' | 'upperDir' | 'prepare' | 'mount' | 'unmount' | 'remove' | 'sweepLinks' | 'refreshUpper'>;

/** Image blobs and unpacked layers, by digest and chain id. */
export type LayerStore = Pick<
  ImageStore,
  | 'tempPath' | 'blobPath' | 'hasBlob' | 'putBlob' | 'readBlob' | 'ingestLayer' | 'ingestLayerFile' | 'ingestVerified'
  | 'startExtract' | 'layerExists' | 'lowerDirs' | 'removeBlobs' | 'removeChain' | 'removeLayers' | 'sweep' | 'hold'
  | 'hasLayerTar' | 'layerSize' | 'openLayer' | 'intake' | 'convertBlob' | 'storedSize'
>;

/** Volumes of the local driver: <data-root>/volumes/<name>/_data. */
export type VolumeStore = Pick<LocalVolumes, 'root' | 'create' | 'dataDir' | 'isEmpty' | 'list' | 'remove' | 'size' | 'copyInto'>;

/** The journal as the engine writes and reads it. */
export type JournalPort = Pick<Journal, 'append' | 'appendAll' | 'committed$' | 'read' | 'headOf' | 'lastSeq' | 'verify' | 'writeBlock'>;

/** The views the projections keep (read only: only the projections change them). */
export type ViewLookup = Pick<
  Views,
  'containers' | 'names' | 'images' | 'layers' | 'execs' | 'volumes' | 'networks' | 'retiredBridges' | 'removed' | 'openBuilds' | 'appliedSeq' | 'snapshot'
>;

/** Containers and images by reference: what findContainer/findImage read. */
export type RefLookup = Pick<Views, 'containers' | 'names' | 'images'>;

/** The embedded DNS of user networks (network-dns.ts), as the engine uses it: one resolver a network, on its gateway. */
export interface NetworkResolver {
  bind(networkId: string, gateway: string): Promise<void>;
  unbind(networkId: string): Promise<void>;
}

/** Every port the engine has: the composition root fills it; operations pick from it. */
export interface EngineDeps {
  journal: JournalPort;
  views: ViewLookup;
  runtime: ContainerRuntime;
  storage: RootfsStore;
  images: LayerStore;
  volumes: VolumeStore;
  /** Per-container files that outlive a run: the log. */
  containersDir: string;
  /** Scratch of running builds (borrowed root filesystems): emptied at boot. */
  buildsDir: string;
  /** The host's hard rlimits and the daemon's capabilities: what a container may get at most. */
  hostLimits: HostLimits;
  log: Logger;
  locks: Pick<KeyedLock, 'run'>;
  /** The default bridge network, unless the daemon runs with --bridge none. */
  network?: BridgeNetwork;
  /** --mtu and --ip, for every bridge network. */
  netDefaults: NetworkDefaults;
  /** When the daemon started (RFC3339Nano): the predefined networks' Created. */
  bootTime: string;
  /** The resolver of user-defined networks (set once the daemon has bound it). */
  dns?: NetworkResolver;
  /** The relay of published ports' [::1] on IPv6 networks (no DNAT from IPv6 loopback). */
  portProxy?: Pick<PortProxy, 'sync' | 'close'>;
  /** Containers waiting out their restart policy's back-off. */
  restarts: Pick<RestartTimers, 'set' | 'cancel' | 'cancelAll'>;
  /** Where boot sweeps move files the journal does not know (never deleted). */
  quarantine: Pick<Quarantine, 'dir' | 'move' | 'list' | 'count' | 'prune'>;
  /** The last health probes of each container (not journal records): State.Health.Log, FailingStreak. */
  healthLogs: Pick<HealthLogs, 'of' | 'record' | 'forget'>;
  /** The daemon's --log-driver/--log-opt: a container's LogConfig is merged with it at create. */
  logDefaults?: LogConfig;
  /** How registries are reached: insecure ones, time-out, concurrency. */
  registry: RegistryOptions;
  /** The id the next create gets, its conmon spawned ahead (none: a new id at each create). */
  nextContainer?: { take(): string; ahead(): string | undefined; claimed(id: string): void; unused(id: string, reusable: boolean): void };
  /** Events of /events that are never journal records (attach, archive, health probe execs). */
  live: Pick<LiveEvents, 'container' | 'events$'>;
}
