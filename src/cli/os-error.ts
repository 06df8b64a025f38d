/** Node's file errors in Go's words ("open F: no such file or directory"), as the docker CLI prints them. */
const GO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EROFS: 'read-only file system',
  EEXIST: 'file exists',
  ENOSPC: 'no space left on device',
};

export function goPathError(op: string, file: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  return new Error(`${op} ${file}: ${(err.code && GO_TEXT[err.code]) ?? err.message}`);
}
