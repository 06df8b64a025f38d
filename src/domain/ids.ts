import { randomBytes } from 'node:crypto';

/** Docker-style 64-hex identifiers, short ids and generated names. Pure but for randomness. */
export const newId = (): string => randomBytes(32).toString('hex');
export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
export const isFullId = (s: string): boolean => /^[0-9a-f]{64}$/.test(s);

const LEFT = ['admiring', 'bold', 'brave', 'busy', 'calm', 'clever', 'cool', 'eager', 'ecstatic', 'elegant',
  'fervent', 'focused', 'gallant', 'happy', 'hopeful', 'jolly', 'keen', 'kind', 'loving', 'modest', 'nifty',
  'peaceful', 'quirky', 'relaxed', 'serene', 'sharp', 'stoic', 'sweet', 'tender', 'vibrant', 'wizardly', 'zen'];
const RIGHT = ['albattani', 'babbage', 'bell', 'curie', 'darwin', 'einstein', 'euclid', 'fermi', 'galileo',
  'hopper', 'hypatia', 'kepler', 'lovelace', 'mccarthy', 'meitner', 'newton', 'noether', 'pasteur', 'ritchie',
  'shannon', 'thompson', 'torvalds', 'turing', 'wozniak', 'yalow'];

export function generateName(taken: (name: string) => boolean, rand = Math.random): string {
  for (let attempt = 0; ; attempt++) {
    let name = `${LEFT[Math.floor(rand() * LEFT.length)]}_${RIGHT[Math.floor(rand() * RIGHT.length)]}`;
    if (attempt > 5) name += String(Math.floor(rand() * 10)) + String(attempt);
    if (!taken(name)) return name;
  }
}

/** Docker's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
export const validContainerName = (name: string): boolean => /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name);
