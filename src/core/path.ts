/** POSIX path joining for the pure tier, which may not import node:path. */
export function joinPath(...parts: readonly string[]): string {
  const joined = parts.filter((p) => p.length > 0).join('/');
  return joined.replace(/\/{2,}/g, '/');
}

export function baseName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? path : path.slice(slash + 1);
}

export function dirName(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash === -1) return '.';
  return slash === 0 ? '/' : path.slice(0, slash);
}
