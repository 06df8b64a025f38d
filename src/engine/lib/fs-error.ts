/** The C library's words for the errno codes a disk operation meets, as Go (and so Docker) prints them. */
const STRERROR: Record<string, string> = {
  ENAMETOOLONG: 'file name too long',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'file exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  ELOOP: 'too many levels of symbolic links',
};

/**
 * A Node fs error as Go's *PathError reads: "mkdir /x/y: file name too long". Anything else
 * keeps its own message.
 */
export function pathErrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const text = err?.code ? STRERROR[err.code] : undefined;
  if (text && err.syscall && err.path) return `${err.syscall} ${err.path}: ${text}`;
  return err?.message ?? String(e);
}
