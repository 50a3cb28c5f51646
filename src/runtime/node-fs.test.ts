import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSystemContract } from '../ports/file-system.contract.js';
import { nodeFileSystem } from './node-fs.js';

fileSystemContract('NodeFileSystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'keel-node-fs-'));
  return {
    fs: nodeFileSystem,
    root,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
