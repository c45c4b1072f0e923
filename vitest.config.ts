import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      '{core,schemas,bus,connectors,pipeline,warehouse,api,dashboard,runtime,testing,scripts,demo,importers,alerts}/**/*.test.ts',
    ],
    // Resolves a real Kafka broker and ClickHouse for the whole run (see testing/global-setup.ts).
    globalSetup: ['testing/global-setup.ts'],
    // chdb embeds one ClickHouse engine per process, so every test file gets a process of its own.
    pool: 'forks',
    isolate: true,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
