import type { FastifyInstance } from 'fastify';

import { registryLogin } from '../../engine/images/registry-login';
import type { Credentials } from '../../registry/auth';
import { invalidArgument } from '../../domain/errors';
import { diskUsage } from '../../engine/system/disk-usage';
import { toSummary } from '../wire/container';
import { apiBefore } from '../api-version';
import { toImageSummary } from '../wire/image';
import { toVolume } from '../wire/volume';
import type { SystemInfo } from '../system-info';
import * as S from '../schemas/system';

import type { EngineDeps } from '../../engine/ports';

/** What system uses of the engine. */
export type SystemRouteDeps = Pick<EngineDeps, 'journal' | 'views' | 'storage' | 'volumes' | 'quarantine' | 'registry'>;
export function systemRoutes(app: FastifyInstance, ctx: SystemRouteDeps, info: SystemInfo): void {
  const ping = (_req: unknown, reply: { header(k: string, v: string): unknown; type(t: string): unknown; send(b?: string): unknown }) => {
    reply.header('Cache-Control', 'no-cache, no-store, must-revalidate');
    reply.header('Pragma', 'no-cache');
    reply.header('Builder-Version', '1');
    reply.type('text/plain; charset=utf-8');
    return reply.send('OK');
  };
  app.get('/_ping', ping); // fastify answers HEAD /_ping from this route too

  app.get('/version', async () => {
    const details = {
      ApiVersion: info.apiVersion,
      Arch: 'amd64',
      BuildTime: '',
      Experimental: 'false',
      GitCommit: 'wharf',
      GoVersion: `node${process.versions.node}`,
      KernelVersion: info.kernelVersion,
      MinAPIVersion: info.minApiVersion,
      Os: 'linux',
    };
    return {
      Platform: { Name: 'Wharf Engine' },
      Components: [{ Name: 'Engine', Version: info.version, Details: details }],
      Version: info.version,
      ApiVersion: info.apiVersion,
      MinAPIVersion: info.minApiVersion,
      GitCommit: 'wharf',
      GoVersion: details.GoVersion,
      Os: 'linux',
      Arch: 'amd64',
      KernelVersion: info.kernelVersion,
      BuildTime: '',
    };
  });

  // docker login: the daemon checks the credentials with the registry; the CLI stores them.
  app.post('/auth', { schema: { body: S.authBody } }, async (req) => {
    const body = (req.body ?? {}) as Credentials;
    if (typeof body !== 'object') throw invalidArgument('invalid credentials');
    return registryLogin(ctx, body);
  });

  app.get('/system/df', { schema: { querystring: S.dfQuery } }, async (req) => {
    const du = await diskUsage(ctx);
    const sizes = new Map(du.containers.map((c) => [c.id, c.size]));
    return {
      LayersSize: du.layersSize,
      Images: [...ctx.views.images.images.values()].map((i) => ({ ...toImageSummary(i, du.imageUsers.get(i.id) ?? 0, { virtualSize: apiBefore(req, 1, 44) }), SharedSize: du.sharedSize.get(i.id) ?? 0 })),
      Containers: [...ctx.views.containers.values()].map((c) => toSummary(c, sizes.get(c.id))),
      Volumes: du.volumes.map((v) => ({ ...toVolume(ctx.views.volumes.get(v.name)!, ctx.volumes.dataDir(v.name)), UsageData: { Size: v.size, RefCount: v.refCount } })),
      BuildCache: [],
    };
  });

  app.get('/info', async () => {
    const cs = [...ctx.views.containers.values()];
    const running = cs.filter((c) => c.status === 'running').length;
    const paused = cs.filter((c) => c.status === 'paused').length;
    return {
      ID: info.id,
      Containers: cs.length,
      ContainersRunning: running,
      ContainersPaused: paused,
      ContainersStopped: cs.length - running - paused,
      Images: ctx.views.images.images.size,
      Driver: info.storageDriver ?? 'overlay2',
      DriverStatus: info.storageDriver === 'vfs' ? [] : [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['json-file', 'none'] },
      MemoryLimit: true,
      SwapLimit: true,
      KernelMemory: false,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      BridgeNfIptables: false,
      BridgeNfIp6tables: false,
      Debug: info.debug,
      NFd: 0,
      OomKillDisable: false,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: info.loggingDriver ?? 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: '1',
      NEventsListener: 0,
      KernelVersion: info.kernelVersion,
      OperatingSystem: info.operatingSystem,
      OSVersion: '',
      OSType: 'linux',
      Architecture: 'x86_64',
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
      NCPU: info.ncpu,
      MemTotal: info.memTotal,
      GenericResources: null,
      DockerRootDir: info.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: info.hostname,
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: info.version,
      Runtimes: { runc: { path: 'runc' } },
      DefaultRuntime: 'runc',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: '',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      // Every container gets the default seccomp filter unless it opts out (as dockerd 28 reports it).
      SecurityOptions: ['name=seccomp,profile=builtin'],
      CDISpecDirs: [],
      Warnings: withSettingWarnings(info, await daemonWarnings(ctx)),
    };
  });
}

/** The warnings the daemon's flags call for (info.settingWarnings), before the others. */
function withSettingWarnings(info: SystemInfo, rest: string[] | null): string[] | null {
  const all = [...(info.settingWarnings ?? []), ...(rest ?? [])];
  return all.length ? all : null;
}

/** `docker info` warnings: a journal that refuses writes, files waiting in the quarantine. */
async function daemonWarnings(ctx: SystemRouteDeps): Promise<string[] | null> {
  const out: string[] = [];
  const block = ctx.journal.writeBlock;
  if (block?.kind === 'damaged') out.push(`WARNING: the journal is damaged (${block.cause}): the daemon is read-only; see wharf journal verify and wharf journal repair`);
  if (block?.kind === 'write-failed') out.push(`WARNING: a journal write failed at ${block.since} (${block.cause}): writes are refused until it can be reopened and verified`);
  const n = await ctx.quarantine.count();
  if (n) out.push(`WARNING: ${n} item(s) in the quarantine (${ctx.quarantine.dir}): files the journal does not know, kept instead of deleted; list them with wharf quarantine ls, remove them with wharf quarantine prune`);
  return out.length ? out : null;
}
