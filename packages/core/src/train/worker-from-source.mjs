// The training worker run from its TypeScript source: when core itself runs from src/ (vitest runs
// the sources), parallel.ts starts this file instead of dist/train/worker.js, so a test never runs a
// stale compiled worker. It registers module hooks (worker-source-hooks.mjs) that transpile .ts with
// the typescript package, then imports worker.ts.
import { register } from 'node:module';

register(new URL('./worker-source-hooks.mjs', import.meta.url));
await import(new URL('./worker.ts', import.meta.url).href);
