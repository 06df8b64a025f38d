import type { ErrorKind } from '../domain/errors';
import { isWharfError } from '../domain/errors';

/** The one table from error kinds to HTTP status codes. Routes never set error statuses. */
export const STATUS: Record<ErrorKind, number> = {
  'invalid-argument': 400,
  'not-found': 404,
  conflict: 409,
  'not-modified': 304,
  unauthorized: 401,
  forbidden: 403,
  'not-implemented': 501,
  unavailable: 503,
  internal: 500,
};

export function toHttpError(e: unknown): { status: number; message: string } {
  if (isWharfError(e)) return { status: STATUS[e.kind], message: e.message };
  const fe = e as { statusCode?: number; message?: string; code?: string };
  if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { status: 400, message: `invalid JSON: ${fe.message}` };
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return { status: fe.statusCode, message: fe.message ?? 'bad request' };
  return { status: 500, message: fe.message ?? String(e) };
}

/** An error as a whole HTTP response, for a connection the server no longer answers itself (hijacked or upgraded). */
export function rawErrorResponse(e: unknown, plainText = false): string {
  const { status, message } = toHttpError(e);
  // API < 1.24: dockerd's http.Error (the message and a newline, as text).
  const body = plainText ? `${message}\n` : JSON.stringify({ message });
  const type = plainText ? 'text/plain; charset=utf-8' : 'application/json';
  return `HTTP/1.1 ${status} Error\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
