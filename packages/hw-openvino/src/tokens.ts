import { token } from '@hurricane/core/plugin';
import type { OpenvinoOptions as Options } from './options.js';

/** The validated `openvino` config block, registered by the plugin. */
export const OpenvinoOptions = token<Options>('hw-openvino/OpenvinoOptions');
