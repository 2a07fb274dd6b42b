import { createRequire } from 'node:module';

/** The part of `onnxruntime-node` that evaluation uses. */
export interface OrtModule {
  InferenceSession: {
    create(
      model: Uint8Array,
      options: object,
    ): Promise<{
      run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array }>>;
      release(): Promise<void>;
    }>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
}

/** ONNX Runtime when `onnxruntime-node` is installed (an optional dependency), else null. */
export async function loadOrt(): Promise<OrtModule | null> {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch {
    return null;
  }
  return (await import('onnxruntime-node')) as unknown as OrtModule;
}
