/** Docker's label filters: "key" (the label is set) or "key=value" (set to exactly that). */
export function labelMatches(labels: Record<string, string> | null | undefined, filter: string): boolean {
  const i = filter.indexOf('=');
  const got = labels?.[i < 0 ? filter : filter.slice(0, i)];
  return got !== undefined && (i < 0 || got === filter.slice(i + 1));
}
