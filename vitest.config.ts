import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    // Tests touch real disks and fsync; two workers match CI's two cores.
    maxWorkers: 2,
  },
});
