import { createRequire } from 'node:module';

/** What the adapter needs from an ONNX Runtime module. */
export interface OrtModule {
  readonly env: { readonly versions?: Readonly<Record<string, string>> };
  readonly InferenceSession: unknown;
}

/** Imports the ONNX Runtime package; resolves to an Error (not a throw) when it cannot be loaded. */
export async function loadOrt(moduleName: string): Promise<OrtModule | Error> {
  try {
    const mod = (await import(moduleName)) as Partial<OrtModule> & { default?: Partial<OrtModule> };
    const ort = (mod.InferenceSession ? mod : mod.default) as Partial<OrtModule> | undefined;
    if (!ort?.InferenceSession || !ort.env) return new Error(`'${moduleName}' does not export ONNX Runtime's InferenceSession`);
    return ort as OrtModule;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** ONNX Runtime's version as the module reports it. */
export function ortVersion(ort: OrtModule): string {
  return ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown';
}

/** A session of ONNX Runtime's native Node binding, whose `run` is synchronous. */
export interface NativeSession {
  loadModel(pathOrBuffer: string | ArrayBufferLike, ...rest: unknown[]): void;
  /** `fetches` maps each output to null (allocated by the call) or a tensor to write into. */
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: Record<string, unknown>): Record<string, unknown>;
  readonly outputMetadata: readonly { readonly name: string }[];
  dispose?(): void;
}

/**
 * The native binding of onnxruntime-node (`dist/binding.js`): its `run` is synchronous, whereas
 * the public `InferenceSession.run` wraps it in `setImmediate` and a promise, which adds 15–50 µs
 * of event-loop latency per call that jumps between two levels. Timing the synchronous call
 * removes that noise. Returns null when the module has no such binding (another runtime package,
 * a future layout): the adapter then times the public API instead.
 */
export function loadNativeBinding(
  moduleName: string,
): { createSession(model: string | Uint8Array, options: Record<string, unknown>): NativeSession } | null {
  try {
    const require = createRequire(import.meta.url);
    const mod = require(`${moduleName}/dist/binding.js`) as {
      binding?: { InferenceSession?: new () => NativeSession };
      initOrt?: () => void;
    };
    const Session = mod.binding?.InferenceSession;
    if (typeof Session !== 'function' || typeof mod.initOrt !== 'function') return null;
    mod.initOrt();
    return {
      createSession(model, options) {
        const s = new Session();
        if (typeof model === 'string') s.loadModel(model, options);
        else s.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
        return s;
      },
    };
  } catch {
    return null;
  }
}
