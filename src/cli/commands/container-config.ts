/** The flags `create` and `run` share, and the create body they make (as the docker CLI sends it). */
import type { Command } from 'commander';
import { ClientError, readJsonMessages, type Client } from '../../client/client';
import { CidFile } from '../cidfile';
import { collect, UsageError, type IO } from '../command';
import { normalizeName, splitRepoTag, validateReference, withDefaultTag } from '../reference';
import { parseMountFlag, splitVolumeFlags } from '../mount-flag';

export interface ContainerConfigOptions {
  image: string;
  command: string[];
  name?: string;
  env: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  tty: boolean;
  interactive: boolean;
  label: string[];
  rm: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  init: boolean;
  privileged: boolean;
  readOnly: boolean;
  network?: string;
  cidfile?: string;
  volume: string[];
  mount: string[];
  volumesFrom: string[];
}

export function declareContainerConfig(cmd: Command): Command {
  return cmd
    .helpOption('--help', 'display help for command')
    .argument('[image]', 'IMAGE')
    .argument('[command...]', 'COMMAND [ARG...]')
    .option('--cidfile <string>', 'Write the container ID to the file')
    .option('-e, --env <list>', 'Set environment variables', collect, [] as string[])
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-h, --hostname <string>', 'Container host name')
    .option('-i, --interactive', 'Keep STDIN open even if not attached', false)
    .option('-l, --label <list>', 'Set meta data on a container', collect, [] as string[])
    .option('--name <string>', 'Assign a name to the container')
    .option('--network <network>', 'Connect a container to a network')
    .option('--privileged', 'Give extended privileges to this container', false)
    .option('--read-only', "Mount the container's root filesystem as read only", false)
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits', false)
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container', (v: string) => {
      if (!/^-?\d+$/.test(v)) throw new Error(`strconv.ParseInt: parsing "${v}": invalid syntax`);
      return Number(v);
    })
    .option('-t, --tty', 'Allocate a pseudo-TTY', false)
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes', false)
    .option('-v, --volume <list>', 'Bind mount a volume', collect, [] as string[])
    .option('--mount <mount>', 'Attach a filesystem mount to the container', collect, [] as string[])
    .option('--volumes-from <list>', 'Mount volumes from the specified container(s)', collect, [] as string[]);
}

export function containerConfigOptions(a: unknown[], f: Record<string, unknown>, name: string): ContainerConfigOptions {
  if (a[0] === undefined) throw new UsageError(`'wharf ${name}' requires at least 1 argument`);
  return {
    image: a[0] as string,
    command: (a[1] as string[] | undefined) ?? [],
    name: f.name as string | undefined,
    env: f.env as string[],
    workdir: f.workdir as string | undefined,
    user: f.user as string | undefined,
    entrypoint: f.entrypoint as string | undefined,
    hostname: f.hostname as string | undefined,
    tty: Boolean(f.tty),
    interactive: Boolean(f.interactive),
    label: f.label as string[],
    rm: Boolean(f.rm),
    stopSignal: f.stopSignal as string | undefined,
    stopTimeout: f.stopTimeout as number | undefined,
    init: Boolean(f.init),
    privileged: Boolean(f.privileged),
    readOnly: Boolean(f.readOnly),
    network: f.network as string | undefined,
    cidfile: f.cidfile as string | undefined,
    volume: (f.volume as string[] | undefined) ?? [],
    mount: (f.mount as string[] | undefined) ?? [],
    volumesFrom: (f.volumesFrom as string[] | undefined) ?? [],
  };
}

/** -e FOO=bar as given; -e FOO takes FOO from this environment (and is dropped when unset). */
export function envList(vals: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const v of vals) {
    if (v.includes('=')) {
      if (v.startsWith('=')) throw new Error(`invalid environment variable: ${v}`);
      out.push(v);
    } else if (env[v] !== undefined) out.push(`${v}=${env[v]}`);
  }
  return out;
}

export function labelMap(vals: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of vals) {
    const i = v.indexOf('=');
    if (i === 0) throw new Error(`invalid label format: "${v}"`);
    if (i < 0) out[v] = '';
    else out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** The POST /containers/create body; `detach` says whether the streams get attached. */
export function createBody(o: ContainerConfigOptions, detach: boolean): Record<string, unknown> {
  const attach = !detach;
  let entrypoint: string[] | null = null;
  if (o.entrypoint !== undefined) entrypoint = o.entrypoint === '' ? [''] : [o.entrypoint];
  const vols = splitVolumeFlags(o.volume ?? []);
  return {
    Hostname: o.hostname ?? '',
    Domainname: '',
    User: o.user ?? '',
    AttachStdin: o.interactive && attach,
    AttachStdout: attach,
    AttachStderr: attach,
    Tty: o.tty,
    OpenStdin: o.interactive,
    StdinOnce: o.interactive && attach,
    Env: envList(o.env),
    Cmd: o.command.length ? o.command : null,
    Image: o.image,
    WorkingDir: o.workdir ?? '',
    Entrypoint: entrypoint,
    Labels: labelMap(o.label),
    ...(Object.keys(vols.volumes).length ? { Volumes: vols.volumes } : {}),
    ...(o.stopSignal ? { StopSignal: o.stopSignal } : {}),
    ...(o.stopTimeout !== undefined ? { StopTimeout: o.stopTimeout } : {}),
    HostConfig: {
      ContainerIDFile: o.cidfile ?? '',
      AutoRemove: o.rm,
      Init: o.init || null,
      NetworkMode: o.network ?? 'default',
      Privileged: o.privileged,
      ReadonlyRootfs: o.readOnly,
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      ...(vols.binds.length ? { Binds: vols.binds } : {}),
      ...(o.mount?.length ? { Mounts: o.mount.map(parseMountFlag) } : {}),
      ...(o.volumesFrom?.length ? { VolumesFrom: o.volumesFrom } : {}),
    },
  };
}

/**
 * Create the container; when the image is missing, say so and try to pull it as docker does
 * ("Unable to find image 'x:latest' locally"), then create again.
 */
export async function createContainer(client: Client, o: ContainerConfigOptions, detach: boolean, io: IO): Promise<string> {
  validateReference(o.image);
  const body = createBody(o, detach);
  const cid = new CidFile(o.cidfile);
  try {
    const id = await createWithPull(client, o, body, io);
    cid.write(id);
    return id;
  } finally {
    cid.close();
  }
}

async function createWithPull(client: Client, o: ContainerConfigOptions, body: Record<string, unknown>, io: IO): Promise<string> {
  let res;
  try {
    res = await client.containerCreate(body, o.name);
  } catch (e) {
    if (!(e instanceof ClientError) || e.status !== 404 || !/^No such image/.test(e.message)) throw e;
    const ref = withDefaultTag(o.image);
    io.stderr.write(`Unable to find image '${ref}' locally\n`);
    const { repo, tag, digest } = splitRepoTag(ref);
    const pull = await client.imagePull(normalizeName(repo), tag ?? digest);
    try {
      await readJsonMessages(pull, (m) => {
        if (m.status && !m.progress) io.stderr.write(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
      });
    } catch (err) {
      throw new ClientError(500, (err as Error).message);
    }
    res = await client.containerCreate(body, o.name);
  }
  for (const w of res.Warnings ?? []) io.stderr.write(`WARNING: ${w}\n`);
  return res.Id;
}
