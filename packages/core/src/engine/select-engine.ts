import { createRequire } from 'node:module';
import { ExitCode, HurricaneError } from '../errors.js';
import { tf } from './tf.js';

/** The TF.js engines Hurricane can train and infer on, fastest first. */
export const ENGINES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type EngineName = (typeof ENGINES)[number];

/** The engine in use and why it was chosen. */
export interface EngineChoice {
  readonly engine: EngineName;
  /** The TF.js backend name (`tensorflow`, `wasm`, `cpu`). */
  readonly backend: string;
  /** One line: why this engine (and why not the faster ones). */
  readonly reason: string;
}

const PACKAGES: Record<EngineName, string | null> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: null,
};

let identityPatched = false;
let chosen: EngineName | null = null;

/**
 * The engine {@link selectEngine} chose last in this thread, or the one the current TF.js backend
 * belongs to (what data-parallel workers load).
 */
export function currentEngine(): EngineName {
  const backend = tf.getBackend();
  if (chosen && (backend === 'tensorflow' ? chosen.startsWith('tfjs-node') : chosen === backend)) return chosen;
  return backend === 'wasm' ? 'wasm' : backend === 'tensorflow' ? 'tfjs-node' : 'cpu';
}

/**
 * The wasm backend's Identity kernel copies its input; TF.js runs Identity on every tensor a custom
 * gradient saves for the backward pass. This zero-copy version shares the data and counts a
 * reference instead, as the cpu backend's does (tensors are immutable, so sharing is safe).
 */
function useZeroCopyIdentityOnWasm(): void {
  if (identityPatched) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      (backend as unknown as { incRef(id: unknown): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
  identityPatched = true;
}

async function tryEngine(engine: EngineName): Promise<{ ok: true; backend: string } | { ok: false; why: string }> {
  const pkg = PACKAGES[engine];
  try {
    if (pkg) {
      // tfjs-node registers the 'tensorflow' backend on import; its native library is downloaded at
      // install time and missing where that download failed, which makes the import throw.
      const require = createRequire(import.meta.url);
      require.resolve(pkg);
      await import(pkg);
    }
    const backend = engine === 'wasm' ? 'wasm' : engine === 'cpu' ? 'cpu' : 'tensorflow';
    if (!(await tf.setBackend(backend))) return { ok: false, why: `its '${backend}' backend did not initialise` };
    await tf.ready();
    if (backend === 'wasm') useZeroCopyIdentityOnWasm();
    chosen = engine;
    return { ok: true, backend };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return { ok: false, why: 'not installed' };
    return { ok: false, why: `cannot load (${(error as Error).message.split('\n')[0]?.slice(0, 120)})` };
  }
}

/**
 * Chooses the TF.js engine: `auto` takes the first that works of tfjs-node-gpu, tfjs-node (both
 * optional dependencies that install only where their native library can be downloaded), the
 * WebAssembly backend (shipped in its npm package) and the plain cpu backend. A named engine that
 * does not work is an error naming the fix.
 */
export async function selectEngine(requested: EngineName | 'auto' = 'auto'): Promise<EngineChoice> {
  if (requested !== 'auto') {
    const r = await tryEngine(requested);
    if (!r.ok) {
      const pkg = PACKAGES[requested];
      throw new HurricaneError(
        `engine '${requested}' is not available: ${r.why}${pkg ? `; install it with 'npm install ${pkg}' on a machine that can download its native parts, or use --engine auto` : ''}`,
        {
          exitCode: ExitCode.BadUsage,
        },
      );
    }
    return { engine: requested, backend: r.backend, reason: `asked for with engine '${requested}'` };
  }
  const skipped: string[] = [];
  for (const engine of ENGINES) {
    const r = await tryEngine(engine);
    if (r.ok)
      return { engine, backend: r.backend, reason: skipped.length ? `fastest available (${skipped.join('; ')})` : 'fastest available' };
    skipped.push(`${engine}: ${r.why}`);
  }
  throw new HurricaneError(`no TF.js engine works (${skipped.join('; ')})`);
}
