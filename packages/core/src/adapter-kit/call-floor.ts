/**
 * The call-floor model (`output = Relu(input)` on one value): what a runtime costs per call with no
 * work, so adapters can subtract it from tiny operators' latencies. Loads the ONNX exporter (and
 * protobufjs) on first call only, so a plugin that imports the adapter kit stays light until it measures.
 */
export async function callFloorModel(): Promise<Uint8Array> {
  const { callFloorModel: build } = await import('../onnx/call-floor.js');
  return build();
}
