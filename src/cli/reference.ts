/** Image references as the docker CLI reads them (only what the CLI needs). */

/** Split "repo[:tag]" at the tag's colon (not a registry port's): ["localhost:5000/a", "v1"]. */
export function splitRepoTag(ref: string): { repo: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), digest: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref };
}

/** "busybox" → "busybox:latest"; references with a tag or a digest are kept. */
export function withDefaultTag(ref: string): string {
  const { tag, digest } = splitRepoTag(ref);
  return tag !== undefined || digest !== undefined ? ref : `${ref}:latest`;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** Throws docker's "invalid reference format" errors for names it would refuse. */
export function validateReference(ref: string): void {
  const { repo, tag, digest } = splitRepoTag(ref);
  const parts = repo.split('/');
  // A first component with a dot, a colon or "localhost" is a registry host.
  const hasHost = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost');
  const path = hasHost ? parts.slice(1) : parts;
  if (path.some((p) => p.toLowerCase() === p && !COMPONENT.test(p)) || path.length === 0 || repo === '') {
    throw new Error('invalid reference format');
  }
  if (path.some((p) => p.toLowerCase() !== p)) {
    const full = hasHost ? path.join('/') : parts.length === 1 ? `library/${repo}` : repo;
    if (!path.some((p) => !COMPONENT.test(p.toLowerCase()))) throw new Error(`invalid reference format: repository name (${full}) must be lowercase`);
    throw new Error('invalid reference format');
  }
  if (tag !== undefined && !TAG.test(tag)) throw new Error('invalid reference format');
  if (digest !== undefined && !/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/.test(digest)) throw new Error('invalid reference format');
}

/** The fully qualified name docker sends to the daemon for a pull: "busybox" → "docker.io/library/busybox". */
export function normalizeName(repo: string): string {
  const parts = repo.split('/');
  const hasHost = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost');
  if (hasHost) return repo;
  return parts.length === 1 ? `docker.io/library/${repo}` : `docker.io/${repo}`;
}
