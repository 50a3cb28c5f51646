// Handler threads started from the TypeScript sources (tsx, vitest) load the entry through tsx.
import { register } from 'tsx/esm/api';

register();
await import('./thread-entry.ts');
