/**
 * Run fn over items with at most `limit` at once. Every item is tried (one failing does not
 * stop the others, so finished work is kept); the errors come back in item order.
 */
export async function runLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<Error[]> {
  const errors: { i: number; e: Error }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]).catch((e: Error) => errors.push({ i, e }));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return errors.sort((a, b) => a.i - b.i).map((x) => x.e);
}
