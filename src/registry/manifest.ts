/** Manifests of the distribution spec: Docker schema 2, OCI, manifest lists and OCI indexes (pure). */

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** What a pull accepts for a manifest, best first. */
export const MANIFEST_ACCEPT = [MEDIA.dockerManifest, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.ociIndex].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ManifestIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export type AnyManifest = { kind: 'image'; manifest: ImageManifest } | { kind: 'index'; index: ManifestIndex };

/** Read a manifest's JSON as an image manifest or an index, whatever it calls itself. */
export function parseManifest(body: Buffer, contentType: string | undefined): AnyManifest {
  let doc: Omit<Partial<ImageManifest & ManifestIndex>, "schemaVersion"> & { schemaVersion?: number };
  try {
    doc = JSON.parse(body.toString('utf8')) as typeof doc;
  } catch {
    throw new Error('the registry sent a manifest that is not JSON');
  }
  const type = doc.mediaType ?? contentType?.split(';')[0].trim();
  if (doc.schemaVersion === 1) throw new Error('schema 1 manifests are not supported (push the image again with a current client)');
  if (Array.isArray(doc.manifests) || type === MEDIA.dockerList || type === MEDIA.ociIndex) {
    return { kind: 'index', index: { schemaVersion: 2, mediaType: type, manifests: doc.manifests ?? [] } };
  }
  if (!doc.config || !Array.isArray(doc.layers)) throw new Error(`unsupported manifest type ${type ?? '(none)'}`);
  return { kind: 'image', manifest: { schemaVersion: 2, mediaType: type, config: doc.config, layers: doc.layers } };
}

const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos']);
const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32',
  'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);
const SPECIFIER_COMPONENT = /^[A-Za-z0-9_-]+$/;

/**
 * "linux/arm64/v8", "linux/amd64", "arm64", "windows": containerd's platforms.Parse, which
 * dockerd uses for ?platform=, with its messages (a bad specifier is refused, an unknown
 * os/arch pair is not: it just matches nothing).
 */
export function parsePlatform(s: string): Platform {
  const bad = (why: string) => new Error(`${why}: invalid argument`);
  if (s.includes('*')) throw bad(`${JSON.stringify(s)}: wildcards not yet supported`);
  const parts = s.split('/');
  for (const part of parts) {
    if (!SPECIFIER_COMPONENT.test(part)) {
      throw bad(`${JSON.stringify(part)} is an invalid component of ${JSON.stringify(s)}: platform specifier component must match "^[A-Za-z0-9_-]+$"`);
    }
  }
  const host = hostPlatform();
  switch (parts.length) {
    case 1: {
      const os = normaliseOs(parts[0]);
      if (KNOWN_OS.has(os)) return { os, architecture: host.architecture };
      const arch = noArmV7(normaliseArch(parts[0].toLowerCase()));
      if (KNOWN_ARCH.has(arch.architecture)) return { os: 'linux', ...arch };
      throw bad(`${JSON.stringify(s)}: unknown operating system or architecture`);
    }
    case 2:
      return { os: normaliseOs(parts[0]), ...noArmV7(normaliseArch(parts[1].toLowerCase())) };
    case 3:
      return { os: normaliseOs(parts[0]), ...normaliseArch(parts[1].toLowerCase(), parts[2].toLowerCase()) };
    default:
      throw bad(`${JSON.stringify(s)}: cannot parse platform specifier`);
  }
}

/** arm without a variant means v7, which containerd leaves unnamed. */
const noArmV7 = (a: { architecture: string; variant?: string }) => (a.architecture === 'arm' && a.variant === 'v7' ? { architecture: 'arm' } : a);

function normaliseOs(os: string): string {
  const o = os.toLowerCase();
  return o === 'macos' ? 'darwin' : o;
}

function normaliseArch(arch: string, variant?: string): { architecture: string; variant?: string } {
  switch (arch) {
    case 'i386':
      return { architecture: '386' };
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return { architecture: 'amd64', variant: variant || undefined };
    case 'aarch64':
    case 'arm64':
      return { architecture: 'arm64', variant: variant === 'v8' || variant === '8' || !variant ? undefined : variant };
    case 'armhf':
      return { architecture: 'arm', variant: 'v7' };
    case 'armel':
      return { architecture: 'arm', variant: 'v6' };
    case 'arm':
      return { architecture: 'arm', variant: !variant || variant === '7' ? 'v7' : /^[5678]$/.test(variant) ? `v${variant}` : variant };
    default:
      return { architecture: arch, variant: variant || undefined };
  }
}

/** Whether an image of platform `have` answers for `want`, as dockerd 20.10 matches them (a variant only when both name one). */
export function platformMatches(want: Platform, have: Platform): boolean {
  const h = { os: have.os, ...normaliseArch(have.architecture, have.variant) };
  if (want.os !== h.os || want.architecture !== h.architecture) return false;
  return !want.variant || !h.variant || want.variant === h.variant;
}

export function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** The host's platform, as an image index names it. */
export function hostPlatform(): Platform {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  return { os: 'linux', architecture: arch };
}

/** The index entry for a platform (a missing variant matches any), or undefined. */
export function selectPlatform(index: ManifestIndex, want: Platform): Descriptor | undefined {
  const candidates = index.manifests.filter((m) => {
    const p = m.platform;
    if (!p) return false;
    if (p.os !== want.os) return false;
    const arch = normaliseArch(p.architecture, p.variant);
    if (arch.architecture !== want.architecture) return false;
    return !want.variant || arch.variant === want.variant;
  });
  // Attestations (unknown/unknown) never match; prefer an exact variant, then the first.
  return candidates.find((m) => m.platform?.variant === want.variant) ?? candidates[0];
}

/** A layer media type a pull can unpack: gzip or plain tar (zstd is not supported). */
export function layerCompression(mediaType: string): 'gzip' | 'none' | undefined {
  if (mediaType === MEDIA.dockerLayerGzip || mediaType === MEDIA.ociLayerGzip || mediaType === MEDIA.dockerForeignLayer) return 'gzip';
  if (mediaType === MEDIA.ociLayer) return 'none';
  return undefined;
}

/** The manifest a push puts: Docker schema 2, the config as stored, gzip layers. */
export function dockerManifest(config: { digest: string; size: number }, layers: { digest: string; size: number }[]): Buffer {
  const m = {
    schemaVersion: 2,
    mediaType: MEDIA.dockerManifest,
    config: { mediaType: MEDIA.dockerConfig, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: MEDIA.dockerLayerGzip, size: l.size, digest: l.digest })),
  };
  return Buffer.from(JSON.stringify(m, null, 3));
}
