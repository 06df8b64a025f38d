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

/** "linux/arm64/v8", "linux/amd64", "arm64": as docker --platform takes it. */
export function parsePlatform(s: string): Platform {
  const parts = s.toLowerCase().split('/');
  if (parts.length === 1) return { os: 'linux', architecture: normaliseArch(parts[0]).architecture, variant: normaliseArch(parts[0]).variant };
  const arch = normaliseArch(parts[1], parts[2]);
  if (!parts[0] || !parts[1] || parts.length > 3) throw new Error(`"${s}": unknown operating system or architecture: invalid argument`);
  return { os: parts[0], ...arch };
}

function normaliseArch(arch: string, variant?: string): { architecture: string; variant?: string } {
  switch (arch) {
    case 'x86_64':
    case 'x86-64':
      return { architecture: 'amd64', variant };
    case 'aarch64':
      return { architecture: 'arm64', variant: variant === 'v8' ? undefined : variant };
    case 'arm64':
      return { architecture: 'arm64', variant: variant === 'v8' ? undefined : variant };
    default:
      return { architecture: arch, variant };
  }
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
