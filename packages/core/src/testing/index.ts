/**
 * `testing/` — `@hurricane/core/testing`: fakes and the shared conformance suite for plugin authors'
 * tests. May import the contracts, `session/` (the run container) and `adapter-kit/`.
 * The suite needs vitest (an optional peer dependency of core).
 */
// tsyringe needs the Reflect metadata polyfill before it loads; an entry point loads it once.
import 'reflect-metadata';
export { MemoryLogger, RecordingToolRunner } from './fakes.js';
export type { ToolScript } from './fakes.js';
export { SimulatedAdapter, latencyFromSize, simulatedDevicePlugin } from './simulated.js';
export type { SimulatedAdapterOptions } from './simulated.js';
export { createPluginHarness } from './harness.js';
export type { PluginHarness, PluginHarnessOptions } from './harness.js';
export { describeHardwarePlugin, expectValidHealthReport, expectValidMeasurement } from './adapter-suite.js';
export type { HardwarePluginSuiteSpec, SuiteSetting } from './adapter-suite.js';
