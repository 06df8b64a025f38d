import type { Logger } from 'pino';
import type { ContainerView } from '../domain/container';
import type { Envelope } from '../domain/envelope';
import { noSuchContainer, noSuchImage, invalidArgument } from '../domain/errors';
import type { WharfEvent } from '../domain/events';
import type { ImageView } from '../domain/image';
import { normaliseTag } from '../domain/reference';
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
import { KeyedLock } from './lib/keyed-lock';
import type { RestartTimers } from './supervisors/restart-timers';
import type { BridgeNetwork, NetworkDefaults } from '../domain/network';
import type { LiveEvents } from './lib/live-events';
import type { PortProxy } from '../network/port-proxy';

/** The embedded DNS of user networks (network-dns.ts), as the engine uses it: one resolver a network, on its gateway. */
export interface NetworkResolver {
  bind(networkId: string, gateway: string): Promise<void>;
  unbind(networkId: string): Promise<void>;
}

export interface EngineContext {
  journal: Journal;
  views: Views;
  runtime: RuncConmonRuntime;
  storage: OverlayStorage;
  images: ImageStore;
  /** Volumes of the local driver: <data-root>/volumes/<name>/_data. */
  volumes: LocalVolumes;
  /** Per-container files that outlive a run: the log. */
  containersDir: string;
  /** Scratch of running builds (borrowed root filesystems): emptied at boot. */
  buildsDir: string;
  /** The host's hard rlimits and the daemon's capabilities: what a container may get at most. */
  hostLimits: HostLimits;
  log: Logger;
  locks: KeyedLock;
  /** The default bridge network, unless the daemon runs with --bridge none. */
  network?: BridgeNetwork;
  /** --mtu and --ip, for every bridge network. */
  netDefaults: NetworkDefaults;
  /** When the daemon started (RFC3339Nano): the predefined networks' Created. */
  bootTime: string;
  /** The resolver of user-defined networks (set once the daemon has bound it). */
  dns?: NetworkResolver;
  /** The relay of published ports' [::1] on IPv6 networks (no DNAT from IPv6 loopback). */
  portProxy?: PortProxy;
  /** Containers waiting out their restart policy's back-off. */
  restarts: RestartTimers;
  /** Where boot sweeps move files the journal does not know (never deleted). */
  quarantine: Quarantine;
  /** The last health probes of each container (not journal records): State.Health.Log, FailingStreak. */
  healthLogs: HealthLogs;
  /** The daemon's --log-driver/--log-opt: a container's LogConfig is merged with it at create. */
  logDefaults?: LogConfig;
  /** How registries are reached: insecure ones, time-out, concurrency. */
  registry: RegistryOptions;
  /** Events of /events that are never journal records (attach, archive, health probe execs). */
  live: LiveEvents;
}

/** Append events about one container, with its name and image as the actor's attributes. */
export function appendFor(ctx: EngineContext, c: Pick<ContainerView, 'name' | 'image' | 'config'>, events: WharfEvent[], extra: Record<string, string> = {}): Promise<Envelope[]> {
  return ctx.journal.append(events, { name: c.name, image: c.image, labels: c.config.Labels ?? {}, ...extra });
}

/** Find a container by full id, name, or unique id prefix, as Docker does. */
export function findContainer(views: Views, ref: string): ContainerView | undefined {
  if (!ref) return undefined;
  const direct = views.containers.get(ref);
  if (direct) return direct;
  const byName = views.names.get(ref.replace(/^\//, ''));
  if (byName) return views.containers.get(byName);
  if (!/^[0-9a-f]+$/.test(ref)) return undefined;
  let found: ContainerView | undefined;
  for (const [id, c] of views.containers) {
    if (id.startsWith(ref)) {
      if (found) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
      found = c;
    }
  }
  return found;
}

export function getContainer(views: Views, ref: string): ContainerView {
  const c = findContainer(views, ref);
  if (!c) throw noSuchContainer(ref);
  return c;
}

/** Find an image by reference (name[:tag]), full id, or id prefix. */
export function findImage(views: Views, ref: string): ImageView | undefined {
  const { images, tags } = views.images;
  const hex = ref.replace(/^sha256:/, '');
  if (/^[0-9a-f]{64}$/.test(hex)) return images.get(`sha256:${hex}`);
  try {
    const norm = normaliseTag(ref);
    const id = tags.get(norm);
    if (id) return images.get(id);
    // name@sha256:...: the image a pull or push recorded under that manifest (a tag beside it is ignored).
    const at = norm.indexOf('@');
    if (at > 0) {
      const repoDigest = `${norm.slice(0, at).replace(/:[^/:]+$/, '')}${norm.slice(at)}`;
      for (const img of images.values()) if (img.repoDigests?.includes(repoDigest)) return img;
    }
  } catch {
    // not a valid reference: maybe an id prefix
  }
  if (/^[0-9a-f]{1,63}$/.test(hex) && hex.length >= 1) {
    let found: ImageView | undefined;
    for (const [id, img] of images) {
      if (id.slice(7).startsWith(hex)) {
        if (found && found.id !== img.id) return undefined;
        found = img;
      }
    }
    return found;
  }
  return undefined;
}

export function getImage(views: Views, ref: string): ImageView {
  const img = findImage(views, ref);
  if (!img) {
    let shown = ref;
    if (!/^(sha256:)?[0-9a-f]+$/.test(ref)) {
      try {
        shown = normaliseTag(ref);
      } catch {
        // an invalid reference is shown as typed
      }
    }
    throw noSuchImage(shown);
  }
  return img;
}
