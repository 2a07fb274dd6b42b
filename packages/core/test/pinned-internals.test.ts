// Hurricane reaches into the internals of three packages, so it pins them to exact versions
// (packages/core/package.json, packages/hw-arm-cpu/package.json). When an upgrade changes the shape
// of what Hurricane uses, these tests fail and say which internal moved and which file relies on it.
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf.js';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const manifest = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string> | string>;
const core = manifest(path.join(here, '../package.json'));
const armCpu = manifest(path.join(here, '../../hw-arm-cpu/package.json'));
const installed = (name: string) => (manifest(require.resolve(`${name}/package.json`)) as { version: string }).version;

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('pinned packages whose internals Hurricane uses', () => {
  const pins: [string, string | undefined][] = [
    ['@tensorflow/tfjs', (core.dependencies as Record<string, string>)['@tensorflow/tfjs']],
    ['@tensorflow/tfjs-backend-wasm', (core.dependencies as Record<string, string>)['@tensorflow/tfjs-backend-wasm']],
    ['onnxruntime-node', (core.optionalDependencies as Record<string, string>)['onnxruntime-node']],
    ['onnxruntime-node', (armCpu.dependencies as Record<string, string>)['onnxruntime-node']],
  ];
  for (const [name, pin] of pins) {
    it(`${name} is pinned to an exact version and that version is installed`, () => {
      expect(pin, `${name} must be pinned to an exact version (x.y.z), not '${pin}'`).toMatch(/^\d+\.\d+\.\d+$/);
      expect(installed(name), `${name} ${installed(name)} is installed but ${pin} is pinned: run 'npm ci'`).toBe(pin);
    });
  }

  it('the TF.js wasm backend still exposes the heap, malloc/free, tensor offsets and makeOutput (engine/wasm-kernels.ts)', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as {
      wasm?: { asm?: { memory?: unknown }; _malloc?: unknown; _free?: unknown };
      dataIdMap?: { get?: (id: unknown) => { memoryOffset?: unknown } | undefined };
      makeOutput?: unknown;
      incRef?: unknown;
    };
    const where =
      'engine/wasm-kernels.ts and engine/select-engine.ts rely on it; re-check them against the new @tensorflow/tfjs-backend-wasm';
    expect(backend.wasm?.asm?.memory instanceof WebAssembly.Memory, `backend.wasm.asm.memory is no WebAssembly.Memory: ${where}`).toBe(
      true,
    );
    expect(typeof backend.wasm?._malloc, `backend.wasm._malloc is gone: ${where}`).toBe('function');
    expect(typeof backend.wasm?._free, `backend.wasm._free is gone: ${where}`).toBe('function');
    expect(typeof backend.makeOutput, `backend.makeOutput is gone: ${where}`).toBe('function');
    expect(typeof backend.incRef, `backend.incRef is gone: ${where}`).toBe('function');
    const t = tf.tensor1d([1.5, -2.25, 3.125]);
    const offset = backend.dataIdMap?.get?.(t.dataId)?.memoryOffset;
    expect(typeof offset, `backend.dataIdMap.get(dataId).memoryOffset is no number: ${where}`).toBe('number');
    const memory = backend.wasm?.asm?.memory as WebAssembly.Memory;
    const heap = new Float32Array(memory.buffer, offset as number, 3);
    expect([...heap], `a tensor's memoryOffset no longer points at its values in the heap: ${where}`).toEqual([1.5, -2.25, 3.125]);
    t.dispose();
  });

  it('the TF.js kernel registry still takes wasm kernels by name (engine/wasm-kernels.ts)', () => {
    expect(typeof tf.registerKernel).toBe('function');
    expect(typeof tf.unregisterKernel).toBe('function');
    expect(
      tf.getKernel('Identity', 'wasm'),
      "the wasm backend registers no 'Identity' kernel: engine/select-engine.ts replaces it",
    ).toBeDefined();
  });

  it("onnxruntime-node's native binding still offers a synchronous InferenceSession (hw-arm-cpu/src/runtime.ts)", () => {
    const where = 'hw-arm-cpu/src/runtime.ts loadNativeBinding() relies on it (the adapter falls back to the slower public API without it)';
    const mod = require('onnxruntime-node/dist/binding.js') as { binding?: { InferenceSession?: unknown }; initOrt?: unknown };
    expect(typeof mod.binding?.InferenceSession, `onnxruntime-node/dist/binding.js has no binding.InferenceSession: ${where}`).toBe(
      'function',
    );
    expect(typeof mod.initOrt, `onnxruntime-node/dist/binding.js has no initOrt(): ${where}`).toBe('function');
  });
});
