// A typed config: `defineConfig` checks the core keys as you type; plugin blocks are checked by
// each plugin's schema when Hurricane loads the file. Run from the repository root:
//   npx hurricane config --config examples/typescript-config/hurricane.config.ts
import { defineConfig } from '@hurricane/core';

export default defineConfig({
  plugins: ['@hurricane/hw-openvino', '@hurricane/hw-arm-cpu'],
  hardware: 'openvino',
  preset: 'imagenet',
  scoring: { name: 'eq4', alpha: 0 },
  openvino: { device: 'MYRIAD' },
  armCpu: { threads: 1 },
});
