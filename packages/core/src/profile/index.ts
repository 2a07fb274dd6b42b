/**
 * `profile/` — `@hurricane/core/profile`: Algorithm 1's operator-level half. The profiler exports
 * every candidate operator in every distinct layer context and measures it through a
 * `HardwareAdapter`; the SQLite latency store keeps each measurement with its provenance (resumable);
 * Eq. 4 scores the operators and the reduction keeps the best per layer (`space.json`). May import
 * `space/`, `onnx/` and the contracts; never TF.js.
 */
// Eq. 4 scoring is a tsyringe injectable; tsyringe needs the Reflect metadata polyfill before it loads.
import 'reflect-metadata';
export { Eq4Options, Eq4Scoring } from './eq4-scoring.js';
export { SqliteLatencyStore, operatorLatencies } from './latency-store.js';
export type { LatencyStore, OperatorKey } from './latency-store.js';
export { distinctContexts, profileOperators } from './profiler.js';
export type { ProfileOptions, ProfileSummary } from './profiler.js';
export { DEFAULT_TIES, latencyStatistic, reduceSpace, spaceTable, unstableContexts } from './reduction.js';
export type { LatencyEvidence, ReducedLayer, ReducedSpace, ReductionOptions } from './reduction.js';
export { isPaired, keepConfidence, rankOperators } from './operator-ranking.js';
export type { OperatorEvidence, RankedEntry, RankingOptions } from './operator-ranking.js';
export { readSpace, writeSpace } from './space-file.js';
export { shareSpace } from './shared-space.js';
export type { SharedSpace, SharedSpaceOptions, SharedSpaceRule } from './shared-space.js';
