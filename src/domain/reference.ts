import { invalidArgument } from './errors';

/** A parsed image reference, normalised the way Docker does (docker.io/library/...). */
export interface ImageReference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

const NAME_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** A tag given apart from its repository (?tag=): Docker's "invalid tag format" when it is not one. */
export function checkTag(tag: string): void {
  if (!TAG.test(tag)) throw invalidArgument('invalid tag format');
}

/** distribution/reference's NameTotalLengthMax. */
const NAME_TOTAL_LENGTH_MAX = 255;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';

export function parseReference(input: string): ImageReference {
  const bad = () => invalidArgument('invalid reference format');
  if (!input || input !== input.trim()) throw bad();
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad();
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad();
  }
  if (!rest) throw bad();
  if (rest.length > NAME_TOTAL_LENGTH_MAX) throw invalidArgument(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  let domain = 'docker.io';
  const slash = rest.indexOf('/');
  let path = rest;
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      // index.docker.io is the legacy name of docker.io: the same registry, the same names.
      domain = first === LEGACY_DEFAULT_DOMAIN ? 'docker.io' : first;
      path = rest.slice(slash + 1);
    }
  }
  if (rest !== rest.toLowerCase() && domain === 'docker.io') {
    throw invalidArgument('invalid reference format: repository name (' + rest + ') must be lowercase');
  }
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!path.split('/').every((c) => NAME_COMPONENT.test(c))) throw bad();
  return { domain, path, tag, digest };
}

/**
 * A reference that may be stored as a tag: the reference store refuses the name "sha256"
 * (docker tag x sha256:abc), which would read as an image id.
 */
export function checkTaggable(ref: ImageReference): void {
  if (familiarName(ref) === 'sha256') throw invalidArgument('refusing to create an ambiguous tag using digest algorithm as name');
}

/** Repository name as Docker shows it: "busybox", "user/app", "localhost:5000/app". */
export function familiarName(ref: ImageReference): string {
  if (ref.domain === 'docker.io') return ref.path.replace(/^library\//, '');
  return `${ref.domain}/${ref.path}`;
}

/** "busybox:latest" (a tag is added when the reference has neither tag nor digest). */
export function familiarString(ref: ImageReference, defaultTag = true): string {
  let s = familiarName(ref);
  const tag = ref.tag ?? (defaultTag && !ref.digest ? 'latest' : undefined);
  if (tag) s += `:${tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/** Normalise a user-typed name to the tag key used in the image view. */
export const normaliseTag = (input: string): string => familiarString(parseReference(input));
