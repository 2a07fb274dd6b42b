import { PLUGIN_API_VERSION, PredictorFactory, defineHurricanePlugin } from '@hurricane/core/plugin';
import { bayesianRidgeFactory } from './bayesian-ridge.js';
import { gaussianProcessFactory } from './gaussian-process.js';
import { lassoFactory } from './lasso.js';
import { lookupTableFactory } from './lookup-table.js';

/** `@hurricane/predictors`: the latency predictors of docs/method.md §6, registered under `PredictorFactory`. */
export default defineHurricanePlugin({
  name: '@hurricane/predictors',
  apiVersion: PLUGIN_API_VERSION,
  description: 'Latency predictors: Gaussian process (Matérn, any ν), Lasso, Bayesian ridge, lookup-table baseline',
  register(container) {
    for (const f of [gaussianProcessFactory, lassoFactory, bayesianRidgeFactory, lookupTableFactory]) {
      container.register(PredictorFactory, { useValue: f });
    }
  },
});

export { besselK } from './bessel.js';
export { maternCorrelation } from './matern.js';
export { GaussianProcessPredictor, gaussianProcessFactory } from './gaussian-process.js';
export type { GaussianProcessOptions } from './gaussian-process.js';
export { LassoPredictor, lassoFactory } from './lasso.js';
export type { LassoOptions } from './lasso.js';
export { BayesianRidgePredictor, bayesianRidgeFactory } from './bayesian-ridge.js';
export type { BayesianRidgeOptions } from './bayesian-ridge.js';
export { LookupTablePredictor, lookupTableFactory } from './lookup-table.js';
