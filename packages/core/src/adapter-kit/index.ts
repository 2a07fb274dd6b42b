/**
 * `@hurricane/core/adapter-kit` — helpers for hardware-adapter authors: the error classes with
 * their exit codes, executable lookup, adb device checks, health checks, sample statistics, the
 * seeded random generator and the call-floor model. Everything here is light: nothing loads
 * TF.js, ONNX Runtime, SQLite or (until `callFloorModel()` is called) protobufjs. May import the
 * contracts, `errors` and `random`; nothing from the method's stages.
 */
export { HurricaneError, ToolError, UnsupportedError, ConfigError, ExitCode } from '../errors.js';
export { findExecutable } from './which.js';
export { parseAdbDevices, adbStateFix } from './adb.js';
export type { AdbDevice } from './adb.js';
export { checkAdbDevice, checkExecutable, failingChecks } from './checks.js';
export { summarizeSamples, percentile } from './statistics.js';
export type { SampleSummary } from './statistics.js';
export { callFloorModel } from './call-floor.js';
export { conditionsOf, conditionsWarning, hostConditionsSource, readConditions } from './host-conditions.js';
export type { ConditionsReading, ConditionsSource } from './host-conditions.js';
export { Rng } from '../random.js';
export { MAX_SESSIONS } from './measuring-adapter.js';
export { lockDir, withDeviceLock } from './device-lock.js';
export { AdbSession, batchStatuses, remoteStatus, shellQuote } from './adb-session.js';
export { SshSession } from './ssh-session.js';
export type { SshTarget } from './ssh-session.js';
export { keepToolLog } from './tool-log.js';
export { assertPreparedBy, healthReport, measurementOf, outputExcerpt } from './skeleton.js';
export { batchDir, batchRuns, connectAdb, runLockedBatch, runRemoteBatch, sessionOf } from './remote-batch.js';
export type { BatchRun, Connection, RemoteBatch, RemoteSession } from './remote-batch.js';
export { hash32 } from '../random.js';
