/** The one vocabulary of error kinds; api/errors.ts maps them to HTTP status codes. */
export type ErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'conflict'
  | 'not-modified'
  | 'unauthorized'
  | 'forbidden'
  | 'not-implemented'
  | 'unavailable'
  | 'internal';

export class WharfError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'WharfError';
  }
}

export const invalidArgument = (msg: string) => new WharfError('invalid-argument', msg);
export const notFound = (msg: string) => new WharfError('not-found', msg);
export const conflict = (msg: string) => new WharfError('conflict', msg);
export const notModified = (msg = '') => new WharfError('not-modified', msg);
export const internal = (msg: string) => new WharfError('internal', msg);

export const noSuchContainer = (ref: string) => notFound(`No such container: ${ref}`);
export const noSuchImage = (ref: string) => notFound(`No such image: ${ref}`);

export function isWharfError(e: unknown): e is WharfError {
  return e instanceof WharfError;
}
