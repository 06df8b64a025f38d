import { randomUUID } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildServer } from '../api/server';
import type { SystemInfo } from '../api/system-info';
import type { EngineDeps } from '../engine/ports';
import { onExitFile } from '../engine/supervisors/container-exited';
import { KeyedLock } from '../engine/lib/keyed-lock';
import { NextContainer } from '../engine/containers/next-container';
import { recoverContainers, sweepImageFiles, watchMonitors } from '../engine/supervisors/recover';
import { convertLayerBlobs } from '../engine/images/convert-layer-blobs';
import { adoptExecs } from '../engine/containers/exec-container';
import { networkIdOf, syncNat, tableOf } from '../engine/networks/container-network';
import { EmbeddedDns } from '../engine/networks/network-dns';
import { PortProxy } from '../network/port-proxy';
import { restoreNetworks } from '../engine/networks/network-setup';
import { nowRfc3339 } from '../domain/time';
import { parseCidr } from '../domain/network';
import { ensureBridge } from '../network/bridge';
import { watchHealth } from '../engine/supervisors/health-monitor';
import { watchLogRotation } from '../engine/containers/log-rotation';
import { checkDaemonLogConfig } from '../domain/log-driver';
import { cancelRestartsAtBoot, startByPolicyAtBoot } from '../engine/supervisors/restart-policy';
import { RestartTimers } from '../engine/supervisors/restart-timers';
import { ImageStore } from '../images/store';
import { JournalOpenError, LevelJournal } from '../journal/level-journal';
import { loadEventValidator } from '../journal/schemas';
import { LiveEvents } from '../engine/lib/live-events';
import { Quarantine } from '../storage/quarantine';
import { watchJournal } from './journal-watch';
import { HealthLogs } from '../engine/supervisors/health-log';
import { CHECKPOINT_FILE, bootViews } from '../projections/checkpoint';
import { Checkpointer, checkpointSchedule } from '../projections/checkpointer';
import { parseBoundingCaps, parseHostHardLimits } from '../runtime/host-options';
import { RuncConmonRuntime } from '../runtime/runc-conmon';
import { issue16Info, issue16NetDefaults, storageDriver } from './daemon-settings';
import { settleBuilds } from '../engine/images/build-image';
import { LocalVolumes } from '../volumes/local-volumes';
import { recoverVolumes } from '../engine/volumes/recover-volumes';
import { currentActor } from '../journal/actor';
import { DEFAULTS, type DaemonConfig } from './config';
import { DEFAULT_SOCKET_GROUP, openListeners, planListeners, tlsSettings } from './listeners';
import { removePidfile, writePidfile } from './pidfile';

export const WHARF_VERSION = '0.1.0';
export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.9';

export interface RunningDaemon {
  ctx: EngineDeps;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** The composition root: the only place that wires the parts together. */
export async function startDaemon(cfg: DaemonConfig, log: Logger): Promise<RunningDaemon> {
  // dockerd refuses to start with log options its default driver would refuse.
  const logDefaults = checkDaemonLogConfig(cfg.logDriver ?? DEFAULTS.logDriver, cfg.logOpts ?? {});
  // The listeners are checked before anything is opened (hosts, TLS files, group, activated
  // sockets, TCP without --tlsverify), and opened once the API is ready.
  const listenerPlan = await planListeners({ hosts: cfg.hosts, tls: tlsSettings(cfg.tls ?? {}), socketGroup: cfg.socketGroup ?? DEFAULT_SOCKET_GROUP }, log);
  await fsp.mkdir(cfg.dataRoot, { recursive: true, mode: 0o710 });
  await fsp.mkdir(cfg.execRoot, { recursive: true, mode: 0o700 });
  // LevelDB's LOCK is the data-root lock: held by the open database, released by the kernel
  // when the process dies, so a kill -9 never leaves a lock for a person to delete.
  const journal = new LevelJournal(path.join(cfg.dataRoot, 'journal'));
  journal.validator = loadEventValidator();
  journal.actor = currentActor;
  try {
    await journal.open();
  } catch (e) {
    throw e instanceof JournalOpenError ? new Error(e.message) : e;
  }
  await writePidfile(cfg.pidfile);
  // The views: from the checkpoint when it holds (then only the records after it are read and
  // checked), else from the whole journal.
  const checkpointFile = path.join(cfg.dataRoot, CHECKPOINT_FILE);
  const { views, boot, from } = await bootViews(journal, checkpointFile, log);
  views.follow(journal);
  const quarantine = new Quarantine(cfg.dataRoot);
  for (const w of boot.warnings) log.warn({ journal: journal.location }, w);
  if (boot.damage) {
    const evidence = await quarantine.move(journal.preopenDir, 'the journal log files as found at boot, before LevelDB recovered them: evidence of the damage').catch(() => undefined);
    log.error({ damage: boot.damage, evidence }, `the journal is damaged: ${boot.damage}. The daemon runs read-only (reads answer, writes are refused) and deletes nothing; see wharf journal verify, and wharf journal repair --data-root ${cfg.dataRoot} to keep the intact part`);
  }
  const readOnly = Boolean(boot.damage);
  log.info({ seq: journal.lastSeq.toString(), head: journal.headOf.hash, records: boot.records, ...(from ? { fromCheckpoint: from.seq.toString() } : {}), trimmed: boot.trimmed, containers: views.containers.size, images: views.images.images.size }, 'journal replayed');
  // Saved again now and then, and at a graceful stop; never with a damaged journal's views.
  const checkpointer = new Checkpointer(views, journal, checkpointFile, { ...checkpointSchedule(), log });
  if (!readOnly) checkpointer.start(boot.records);

  const runtime = new RuncConmonRuntime({
    runcRoot: path.join(cfg.execRoot, 'runc'),
    bundles: path.join(cfg.execRoot, 'bundles'),
    exits: path.join(cfg.execRoot, 'exits'),
    persist: path.join(cfg.execRoot, 'persist'),
    bin: path.join(cfg.execRoot, 'bin'),
  });
  await runtime.init();
  const storage = storageDriver(cfg);
  await storage.init();
  const images = new ImageStore(path.join(cfg.dataRoot, 'image'));
  await images.init();
  const volumes = new LocalVolumes(path.join(cfg.dataRoot, 'volumes'));
  await volumes.init();
  const containersDir = path.join(cfg.dataRoot, 'containers');
  await fsp.mkdir(containersDir, { recursive: true });
  const healthLogs = new HealthLogs(containersDir);
  await healthLogs.load(views.containers.values());
  await fsp.mkdir(path.join(cfg.dataRoot, 'builds'), { recursive: true });

  const ctx: EngineDeps = {
    journal,
    views,
    runtime,
    storage,
    images,
    volumes,
    containersDir,
    healthLogs,
    logDefaults,
    buildsDir: path.join(cfg.dataRoot, 'builds'),
    hostLimits: {
      hard: parseHostHardLimits(await fsp.readFile('/proc/self/limits', 'utf8')),
      caps: parseBoundingCaps(await fsp.readFile('/proc/self/status', 'utf8')),
      initPath: await findInit(),
      blkioWeight: existsSync('/sys/fs/cgroup/blkio/blkio.weight'),
      cpuRealtime: existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us'),
    },
    log: log.child({ component: 'engine' }),
    locks: new KeyedLock(),
    restarts: new RestartTimers(),
    netDefaults: { mtu: cfg.mtu, defaultHostIp: cfg.ip === '0.0.0.0' ? '' : cfg.ip, ...issue16NetDefaults(cfg) },
    bootTime: nowRfc3339(),
    live: new LiveEvents(() => journal.lastSeq),
    quarantine,
    registry: {
      insecureRegistries: cfg.insecureRegistries,
      timeoutMs: cfg.registryTimeout * 1000,
      maxConcurrentDownloads: cfg.maxConcurrentDownloads,
      maxConcurrentUploads: cfg.maxConcurrentUploads,
    },
  };

  if (cfg.bridge !== 'none') {
    const cidr = parseCidr(cfg.bip);
    await ensureBridge({ name: cfg.bridge, gatewayCidr: cfg.bip, mtu: cfg.mtu, firewall: cfg.iptables !== false });
    ctx.network = {
      name: 'bridge',
      id: networkIdOf(cfg.bridge),
      bridge: cfg.bridge,
      cidr,
      gateway: cidr.ip,
      mtu: cfg.mtu,
      table: tableOf(cfg.bridge),
      defaultHostIp: cfg.ip === '0.0.0.0' ? '' : cfg.ip,
      internal: false,
      icc: cfg.icc,
      userDefined: false,
    };
  }
  runtime.watchExits((id) => {
    onExitFile(ctx, id).catch((e: Error) => log.error({ id, err: e.message }, 'recording exit failed'));
  });
  const dns = new EmbeddedDns(ctx);
  await dns.init();
  ctx.dns = dns;
  ctx.portProxy = new PortProxy((r, err) => log.warn({ port: `[${r.host}]:${r.port}`, err: err.message }, 'cannot serve a published port on IPv6 loopback'));
  // Read-only (a damaged journal): no recovery, sweep, restart or probe; they would write facts
  // or remove files on the word of a journal that cannot be trusted.
  if (!readOnly) await recoverContainers(ctx, { restart: cfg.restart !== false });
  // User-defined networks as the journal says: bridges, resolvers. The NAT tables are a
  // function of the views: rewritten whole, so a crash leaves no stale or duplicate rule.
  await restoreNetworks(ctx);
  await syncNat(ctx).catch((e: Error) => log.error({ err: e.message }, 'cannot set up published ports (nftables)'));
  if (!readOnly) {
    const sweptImageFiles = await sweepImageFiles(ctx);
    if (sweptImageFiles) log.info({ count: sweptImageFiles }, 'swept image files no image uses');
    // Layer tars an earlier version kept as blobs become indexes, in the background.
    void convertLayerBlobs(ctx).catch((e: Error) => log.warn({ err: e.message }, 'converting layer blobs failed; they are served from the blobs'));
    await recoverVolumes(ctx);
    await settleBuilds(ctx);
  }
  const stopMonitorWatch = watchMonitors(ctx);
  const stopExecWatch = adoptExecs(ctx);
  if (!readOnly && cfg.restart !== false) startByPolicyAtBoot(ctx);
  else if (!readOnly) cancelRestartsAtBoot(ctx);
  const stopHealthChecks = readOnly ? () => undefined : watchHealth(ctx);
  const stopLogRotation = readOnly ? () => undefined : watchLogRotation(ctx);
  // Read-only: nothing is created, so no id is chosen ahead.
  const nextContainer = readOnly ? undefined : new NextContainer(ctx);
  ctx.nextContainer = nextContainer;
  // After a failed write the journal refuses writes until it can be reopened and its tail
  // checked; then the operations cut short in between are settled as at boot.
  const stopJournalWatch = watchJournal(journal, cfg.dataRoot, log, async () => {
    await recoverContainers(ctx);
  });

  const info: SystemInfo = {
    version: WHARF_VERSION,
    apiVersion: API_VERSION,
    minApiVersion: MIN_API_VERSION,
    dataRoot: cfg.dataRoot,
    kernelVersion: os.release(),
    operatingSystem: await osName(),
    hostname: os.hostname(),
    ncpu: os.cpus().length,
    memTotal: os.totalmem(),
    debug: cfg.debug,
    id: await daemonId(cfg.dataRoot),
    ...issue16Info(cfg),
  };
  const app = buildServer(ctx, info, { corsHeaders: cfg.corsHeaders });
  await app.ready();
  const listeners = await openListeners(listenerPlan, app.server, log);

  let closed = false;
  return {
    ctx,
    app,
    async close() {
      if (closed) return;
      closed = true;
      // Live restore is the default: containers keep running under conmon.
      stopMonitorWatch();
      stopJournalWatch();
      stopExecWatch();
      ctx.restarts.cancelAll();
      stopHealthChecks();
      stopLogRotation();
      nextContainer?.stop();
      runtime.stopWatching();
      dns.close();
      ctx.portProxy?.close();
      await listeners.close();
      await app.close();
      if (!readOnly) await checkpointer.close().catch((e: Error) => log.warn({ err: e.message }, 'cannot write the views checkpoint at shutdown'));
      await journal.close();
      await removePidfile(cfg.pidfile);
    },
  };
}

/** A static init for --init: Docker's docker-init, or Debian's tini-static. */
async function findInit(): Promise<string | undefined> {
  for (const p of ['/usr/libexec/docker/docker-init', '/usr/bin/docker-init', '/usr/bin/tini-static']) {
    if (await fsp.access(p).then(() => true, () => false)) return p;
  }
  return undefined;
}

async function osName(): Promise<string> {
  const text = await fsp.readFile('/etc/os-release', 'utf8').catch(() => '');
  return /PRETTY_NAME="?([^"\n]+)"?/.exec(text)?.[1] ?? 'Linux';
}

async function daemonId(dataRoot: string): Promise<string> {
  const file = path.join(dataRoot, 'engine-id');
  const existing = await fsp.readFile(file, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  const id = randomUUID();
  await fsp.writeFile(file, id);
  return id;
}
