/** The API version a request names in its path (/v1.41/...), if it names one. */
export const VERSION_PREFIX = /^\/v(\d+)\.(\d+)(?=\/)/;

export function apiVersionOf(url: string): [number, number] | undefined {
  const m = VERSION_PREFIX.exec(url);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Whether a request asked for an API version older than major.minor (no version: the current one, never older). */
export function apiBefore(req: { originalUrl?: string; url: string }, major: number, minor: number): boolean {
  const v = apiVersionOf(req.originalUrl ?? req.url);
  return v !== undefined && (v[0] < major || (v[0] === major && v[1] < minor));
}
