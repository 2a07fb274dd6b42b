import { instanceCachingFactory } from 'tsyringe';
import { Environment, HardwareAdapter, PLUGIN_API_VERSION, ToolRunner, defineHurricanePlugin } from '@hurricane/core/plugin';
import { OpenvinoAdapter } from './openvino-adapter.js';
import { openvinoOptionsSchema, type OpenvinoOptions as Options } from './options.js';
import { OpenvinoOptions } from './tokens.js';

/** `@hurricane/hw-openvino`: adapter `openvino` (benchmark_app on the configured device). */
export default defineHurricanePlugin<Options>({
  name: '@hurricane/hw-openvino',
  apiVersion: PLUGIN_API_VERSION,
  description: 'Intel OpenVINO: Myriad X VPU (MYRIAD), CPU, GPU and NPU through benchmark_app',
  configKey: 'openvino',
  configSchema: openvinoOptionsSchema,
  register(container, { options, workDir }) {
    container.register(OpenvinoOptions, { useValue: options });
    container.register(HardwareAdapter, {
      useFactory: instanceCachingFactory(
        (c) => new OpenvinoAdapter(c.resolve(OpenvinoOptions), c.resolve(ToolRunner), c.resolve(Environment), workDir),
      ),
    });
  },
});

export { OpenvinoAdapter } from './openvino-adapter.js';
export { openvinoOptionsSchema } from './options.js';
export type { OpenvinoOptions } from './options.js';
export { buildBenchmarkArgs, explainFailure, parseBenchmarkOutput, parseReportCsv } from './benchmark-app.js';
export type { BenchmarkResult } from './benchmark-app.js';
export { buildConvertArgs, parseConvertOutput } from './convert.js';
