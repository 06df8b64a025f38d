import path from 'node:path';

/**
 * A native addon built by scripts/build-native.sh into build/native/ (from this checkout's
 * dist/ or from a run of the sources), or null when it is not built here: every caller has a
 * slower way without it.
 */
export function loadAddon<T>(file: string): T | null {
  for (const dir of [path.resolve(__dirname, '../../../build/native'), path.resolve(__dirname, '../../build/native')]) {
    try {
      return require(path.join(dir, file)) as T;
    } catch {
      // not built here
    }
  }
  return null;
}
