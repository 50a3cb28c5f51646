// Public face of the placement tier (docs/placement.md).
export { HashRing, type VirtualNode } from './hash-ring.js';
export { pickWorker } from './affinity.js';
export { hashString, murmur3x86_32 } from './murmur3.js';
export {
  hashRingDefaults, memberVirtualNodesMax, resolveHashRingOptions, ringVirtualNodesMax, virtualNodesPerMemberMax,
  type HashRingOptions, type HashRingOptionsInput,
} from './options.js';
