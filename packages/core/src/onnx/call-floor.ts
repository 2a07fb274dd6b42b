import { GraphBuilder } from '../space/ir.js';
import { exportOnnx } from './export-onnx.js';

/**
 * A do-nothing model (`output = Relu(input)` on one value): what a runtime costs per call with no
 * work, so adapters can subtract it from tiny operators' latencies.
 */
export function callFloorModel(): Uint8Array {
  const g = new GraphBuilder([1, 1, 1]);
  return exportOnnx(g.finish(g.act('relu', g.input)), { onnxValues: () => new Float32Array(0) }, { name: 'call_floor' });
}
