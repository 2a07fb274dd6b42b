import { instanceCachingFactory } from 'tsyringe';
import { Environment, HardwareAdapter, PLUGIN_API_VERSION, ToolRunner, defineHurricanePlugin } from '@hurricane/core/plugin';
import { snpeOptionsSchema, type SnpeOptions as Options } from './options.js';
import { SNPE_RUNTIMES, SnpeAdapter, type SnpeRuntime } from './snpe-adapter.js';
import { SnpeOptions } from './tokens.js';

/** `@hurricane/hw-snpe`: adapters `snpe-dsp`, `snpe-gpu` and `snpe-cpu` (Qualcomm SNPE over adb). */
export default defineHurricanePlugin<Options>({
  name: '@hurricane/hw-snpe',
  apiVersion: PLUGIN_API_VERSION,
  description: 'Qualcomm SNPE: Hexagon DSP, Adreno GPU and Snapdragon CPU of an Android device',
  configKey: 'snpe',
  configSchema: snpeOptionsSchema,
  register(container, { options }) {
    container.register(SnpeOptions, { useValue: options });
    for (const runtime of Object.keys(SNPE_RUNTIMES) as SnpeRuntime[]) {
      container.register(HardwareAdapter, {
        useFactory: instanceCachingFactory(
          (c) => new SnpeAdapter(runtime, c.resolve(SnpeOptions), c.resolve(ToolRunner), c.resolve(Environment)),
        ),
      });
    }
  },
});

export { SnpeAdapter, SNPE_RUNTIMES } from './snpe-adapter.js';
export type { SnpeRuntime } from './snpe-adapter.js';
export { snpeOptionsSchema } from './options.js';
export type { SnpeOptions } from './options.js';
export { parseSnpeVersion } from './version.js';
