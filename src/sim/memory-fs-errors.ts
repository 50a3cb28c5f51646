/** The POSIX codes the in-memory disk throws, with Node's wording for each. */
const descriptions = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  EISDIR: 'illegal operation on a directory',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
  EIO: 'i/o error',
  ENOSPC: 'no space left on device',
  EBADF: 'bad file descriptor',
  EINVAL: 'invalid argument',
  EXDEV: 'cross-device link not permitted',
  EFBIG: 'file too large',
} as const;

export type FsErrorCode = keyof typeof descriptions;

export interface FsError extends Error {
  readonly code: FsErrorCode;
  readonly syscall: string;
  readonly path: string;
}

/** An error shaped like Node's: `ENOENT: no such file or directory, open '/data/x'`. */
export function fsError(code: FsErrorCode, syscall: string, path: string): FsError {
  const error = new Error(`${code}: ${descriptions[code]}, ${syscall} '${path}'`);
  return Object.assign(error, { code, syscall, path });
}
