import { token } from '@hurricane/core/plugin';
import type { SnpeOptions as Options } from './options.js';

/** The validated `snpe` config block, registered by the plugin. */
export const SnpeOptions = token<Options>('hw-snpe/SnpeOptions');
