import type { WharfEvent } from '../domain/events';
import type { LayerSource, LayerState } from '../domain/image';

/**
 * The registry layers projection: compressed digest → diff id, diff id → where its compressed
 * forms live (from pulls and pushes), and the chains pulls unpacked. Entries are replaced,
 * never changed in place.
 */
export function emptyLayers(): LayerState {
  return { byDigest: new Map(), sources: new Map(), pulledChains: new Set() };
}

/** Beside `byDigest` (not part of the views, rebuilt from it when missing): chain id → the digests that unpack to it. */
const digestsByChain = new WeakMap<LayerState['byDigest'], Map<string, Set<string>>>();

function digestsOf(byDigest: LayerState['byDigest']): Map<string, Set<string>> {
  let m = digestsByChain.get(byDigest);
  if (!m) {
    m = new Map();
    for (const [digest, l] of byDigest) {
      let set = m.get(l.chainId);
      if (!set) m.set(l.chainId, (set = new Set()));
      set.add(digest);
    }
    digestsByChain.set(byDigest, m);
  }
  return m;
}

/**
 * The sources of a diff id with one more (digest, repository). The compressed forms of one
 * diff id, and the repositories of one form, are a handful (one per registry format and
 * repository): copying them does not grow with history.
 */
function noted(list: readonly LayerSource[], digest: string, size: number, repo: string): readonly LayerSource[] {
  const i = list.findIndex((l) => l.digest === digest);
  if (i < 0) return [...list, { digest, size, repos: [repo] }];
  const known = list[i];
  if (known.repos.includes(repo)) return list;
  const out = [...list];
  out[i] = { ...known, repos: [...known.repos, repo] };
  return out;
}

function note(s: LayerState, diffId: string, digest: string, size: number, repo: string): void {
  const list = s.sources.get(diffId) ?? [];
  const after = noted(list, digest, size, repo);
  if (after !== list || !s.sources.has(diffId)) s.sources.set(diffId, after as LayerSource[]);
}

export function evolveLayers(s: LayerState, e: WharfEvent): LayerState {
  if (e.type === 'layer.pulled') {
    const chains = digestsOf(s.byDigest);
    const before = s.byDigest.get(e.data.digest);
    if (before && before.chainId !== e.data.chainId) chains.get(before.chainId)?.delete(e.data.digest);
    s.byDigest.set(e.data.digest, { diffId: e.data.id, chainId: e.data.chainId, size: e.data.size });
    let set = chains.get(e.data.chainId);
    if (!set) chains.set(e.data.chainId, (set = new Set()));
    set.add(e.data.digest);
    s.pulledChains.add(e.data.chainId);
    note(s, e.data.id, e.data.digest, e.data.size, e.data.repository);
  } else if (e.type === 'layer.released') {
    s.pulledChains.delete(e.data.chainId);
    const chains = digestsOf(s.byDigest);
    for (const digest of chains.get(e.data.chainId) ?? []) s.byDigest.delete(digest);
    chains.delete(e.data.chainId);
  } else if (e.type === 'image.pushed') {
    const repo = e.data.repoDigest.split('@')[0];
    for (const l of e.data.layers) note(s, l.diffId, l.digest, l.size, repo);
  }
  return s;
}
