import { token } from '@hurricane/core/plugin';
import type { ArmCpuOptions as Options } from './options.js';

/** The validated `armCpu` config block, registered by the plugin. */
export const ArmCpuOptions = token<Options>('hw-arm-cpu/ArmCpuOptions');
