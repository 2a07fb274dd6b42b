import { HardwareAdapter, PLUGIN_API_VERSION, defineHurricanePlugin } from '@hurricane/core/plugin';
import { ArmCpuAdapter } from './arm-cpu-adapter.js';
import { armCpuOptionsSchema, type ArmCpuOptions as Options } from './options.js';
import { ArmCpuOptions } from './tokens.js';

/** `@hurricane/hw-arm-cpu`: adapter `arm-cpu` (ONNX Runtime in-process on the host CPU). */
export default defineHurricanePlugin<Options>({
  name: '@hurricane/hw-arm-cpu',
  apiVersion: PLUGIN_API_VERSION,
  description: 'ARM CPUs (and any host CPU) measured with ONNX Runtime in-process',
  configKey: 'armCpu',
  configSchema: armCpuOptionsSchema,
  register(container, { options }) {
    container.register(ArmCpuOptions, { useValue: options });
    container.register(HardwareAdapter, { useFactory: (c) => new ArmCpuAdapter(c.resolve(ArmCpuOptions)) });
  },
});

export { ArmCpuAdapter, hostCpu } from './arm-cpu-adapter.js';
export { armCpuOptionsSchema } from './options.js';
export type { ArmCpuOptions } from './options.js';
