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

/** Whether a request named an API version older than 1.24: dockerd answered those with plain-text errors (http.Error), not JSON. */
export const plainTextErrors = (req: { originalUrl?: string; url: string }): boolean => apiBefore(req, 1, 24);

/** An error as dockerd wrote it for API < 1.24 (Go's http.Error): the message and a newline, as text. */
export function plainTextError<R>(reply: { code(n: number): unknown; header(k: string, v: string): unknown; send(b: string): R }, status: number, message: string): R {
  reply.code(status);
  reply.header('Content-Type', 'text/plain; charset=utf-8');
  reply.header('X-Content-Type-Options', 'nosniff');
  return reply.send(`${message}\n`);
}
