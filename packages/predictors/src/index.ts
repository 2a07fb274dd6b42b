import { PLUGIN_API_VERSION, PredictorFactory, defineHurricanePlugin } from '@hurricane/core/plugin';
import { lassoFactory } from './lasso.js';

/** `@hurricane/predictors`: latency predictors (SPEC §6) registered under `PredictorFactory`. */
export default defineHurricanePlugin({
  name: '@hurricane/predictors',
  apiVersion: PLUGIN_API_VERSION,
  description: 'Latency predictors over encoded architectures (Lasso)',
  register(container) {
    container.register(PredictorFactory, { useValue: lassoFactory });
  },
});

export { LassoPredictor, lassoFactory } from './lasso.js';
export type { LassoOptions } from './lasso.js';
