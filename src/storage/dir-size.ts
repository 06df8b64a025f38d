import { openDir, walkTree } from './scoped-fs';

/** Bytes held by the files of a tree (each hard-linked file once), walked without following symlinks. */
export async function dirSize(dir: string): Promise<number> {
  let root;
  try {
    root = await openDir(dir);
  } catch {
    return 0;
  }
  let total = 0;
  const seen = new Set<string>();
  try {
    await walkTree(root, async ({ st }) => {
      if (st.isDirectory()) return;
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) return;
        seen.add(key);
      }
      total += st.size;
    });
  } catch {
    // changed while walked: what was counted stands
  } finally {
    await root.close();
  }
  return total;
}
