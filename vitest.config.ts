import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // One copy of core in a test process: packages and plugins (even built ones) import core's sources.
    alias: [
      { find: /^@hurricane\/core\/plugin$/, replacement: src('./packages/core/src/contracts/index.ts') },
      { find: /^@hurricane\/core\/adapter-kit$/, replacement: src('./packages/core/src/adapter-kit/index.ts') },
      { find: /^@hurricane\/core\/onnx$/, replacement: src('./packages/core/src/onnx/index.ts') },
      { find: /^@hurricane\/core\/profile$/, replacement: src('./packages/core/src/profile/index.ts') },
      { find: /^@hurricane\/core\/predict$/, replacement: src('./packages/core/src/predict/index.ts') },
      { find: /^@hurricane\/core\/search$/, replacement: src('./packages/core/src/search/index.ts') },
      { find: /^@hurricane\/core\/train$/, replacement: src('./packages/core/src/train/index.ts') },
      { find: /^@hurricane\/core\/testing$/, replacement: src('./packages/core/src/testing/index.ts') },
      { find: /^@hurricane\/core\/testing\/simulated$/, replacement: src('./packages/core/src/testing/simulated.ts') },
      { find: /^@hurricane\/core$/, replacement: src('./packages/core/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: [src('./test/setup.ts')],
    globalSetup: [src('./test/global-setup.ts')],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // WebAssembly runs optimised (TurboFan) from the first call, as hot code does in a long run:
    // Node 20's V8 has miscompiled SIMD loops there that its baseline compiler (Liftoff) got right.
    execArgv: ['--no-liftoff'],
  },
});
