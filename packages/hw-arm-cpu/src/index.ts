import { Environment, HardwareAdapter, PLUGIN_API_VERSION, ToolRunner, defineHurricanePlugin } from '@hurricane/core/plugin';
import { instanceCachingFactory } from 'tsyringe';
import { RemoteArmCpuAdapter } from './remote-adapter.js';
import { ArmCpuAdapter } from './arm-cpu-adapter.js';
import { armCpuOptionsSchema, type ArmCpuOptions as Options } from './options.js';
import { ArmCpuOptions } from './tokens.js';

/** `@hurricane/hw-arm-cpu`: adapter `arm-cpu` (ONNX Runtime in-process on the host CPU). */
export default defineHurricanePlugin<Options>({
  name: '@hurricane/hw-arm-cpu',
  apiVersion: PLUGIN_API_VERSION,
  description: 'ARM CPUs: the host in-process (arm-cpu) or a board over adb with onnxruntime_perf_test (arm-cpu-remote)',
  configKey: 'armCpu',
  configSchema: armCpuOptionsSchema,
  register(container, { options, workDir }) {
    container.register(ArmCpuOptions, { useValue: options });
    container.register(HardwareAdapter, {
      useFactory: instanceCachingFactory((c) => new ArmCpuAdapter(c.resolve(ArmCpuOptions), {}, c.resolve(Environment))),
    });
    container.register(HardwareAdapter, {
      useFactory: instanceCachingFactory(
        (c) => new RemoteArmCpuAdapter(c.resolve(ArmCpuOptions), c.resolve(ToolRunner), c.resolve(Environment), workDir),
      ),
    });
  },
});

export { ArmCpuAdapter, hostCpu } from './arm-cpu-adapter.js';
export { RemoteArmCpuAdapter } from './remote-adapter.js';
export { buildPerfTestArgs, parsePerfTest } from './perf-test.js';
export { armCpuOptionsSchema } from './options.js';
export type { ArmCpuOptions } from './options.js';
