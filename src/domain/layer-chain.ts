import { createHash } from 'node:crypto';

/** A layer's chain id: the diff ids below it and its own, hashed as Docker does. */
export function chainOf(parentChain: string, diffId: string): string {
  return `sha256:${createHash('sha256').update(`${parentChain} ${diffId}`).digest('hex')}`;
}

export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length ? chainOf(out[out.length - 1], d) : d);
  return out;
}
