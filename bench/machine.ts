/** Where the numbers came from: the machine, the disk under the data directory, the commit. */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string | null;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly kernel: string;
  readonly disk: { readonly dir: string; readonly device: string | null; readonly fsType: string | null; readonly mountOptions: string | null };
}

export function machineInfo(dataDir: string): MachineInfo {
  const cpuList = cpus();
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? null,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    kernel: release(),
    disk: { dir: dataDir, ...mountOf(dataDir) },
  };
}

/** The mount holding `path` from /proc/self/mounts (Linux); nulls elsewhere. */
function mountOf(path: string): { device: string | null; fsType: string | null; mountOptions: string | null } {
  const unknown = { device: null, fsType: null, mountOptions: null };
  let mounts: string;
  let real: string;
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
    real = realpathSync(path);
  } catch {
    return unknown; // not Linux, or no procfs: the report says null rather than guessing
  }
  let best: { point: string; device: string; fsType: string; options: string } | undefined;
  for (const line of mounts.split('\n')) {
    const [device, point, fsType, options] = line.split(' ');
    if (device === undefined || point === undefined || fsType === undefined || options === undefined) continue;
    const inside = point === '/' || real === point || real.startsWith(`${point}/`);
    if (inside && (best === undefined || point.length >= best.point.length)) best = { point, device, fsType, options };
  }
  return best === undefined ? unknown : { device: best.device, fsType: best.fsType, mountOptions: best.options };
}

/** `git rev-parse HEAD` in `cwd`, or null outside a repository or without git. */
export function gitCommit(cwd: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null; // no git, or not a checkout: the report carries null
  }
}
