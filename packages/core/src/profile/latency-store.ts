import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { HurricaneError } from '../errors.js';
import type { LatencyMeasurement } from '../contracts/hardware-adapter.js';

/** What identifies a measurement of one operator in one layer context on one device. */
export interface OperatorKey {
  readonly adapterId: string;
  readonly deviceFingerprint: string;
  readonly runtimeVersion: string;
  readonly operator: string;
  /** `HxW_Cin_Cout_sS`, as `layerContexts` gives it. */
  readonly contextId: string;
}

/** What identifies a measurement of a whole network. */
export interface NetworkKey {
  readonly adapterId: string;
  readonly deviceFingerprint: string;
  readonly runtimeVersion: string;
  readonly preset: string;
  /** Comma-separated architecture. */
  readonly arch: string;
}

/** A persistent store of latency measurements. */
export interface LatencyStore {
  getOperator(key: OperatorKey): LatencyMeasurement | undefined;
  /**
   * Stores one measurement, committed before it returns (WAL, `synchronous=NORMAL`: it survives a
   * killed process, not a power loss of the machine); replaces an older one with the same key.
   */
  putOperator(key: OperatorKey, m: LatencyMeasurement): void;
  /** Every operator measurement of one device and runtime. */
  listOperators(device: Omit<OperatorKey, 'operator' | 'contextId'>): { key: OperatorKey; measurement: LatencyMeasurement }[];
  /** A network's measurement; `trial` > 0 are repeated measurements of the same network (the noise floor). */
  getNetwork(key: NetworkKey, trial?: number): LatencyMeasurement | undefined;
  putNetwork(key: NetworkKey, m: LatencyMeasurement, trial?: number): void;
  /** Stores one canary measurement of the run that started at `runAt` (every run's canaries are kept). */
  putCanary(key: NetworkKey, runAt: string, m: LatencyMeasurement): void;
  /** The canary runs of one device (any runtime version) for a preset, newest first. */
  canaryRuns(device: Pick<NetworkKey, 'adapterId' | 'deviceFingerprint' | 'preset'>, limit: number): CanaryRun[];
  close(): void;
}

/** The canaries of one run: each measurement by architecture. */
export interface CanaryRun {
  readonly runAt: string;
  readonly runtimeVersion: string;
  readonly byArch: ReadonlyMap<string, LatencyMeasurement>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS operator_latency (
  adapter_id TEXT NOT NULL, device_fingerprint TEXT NOT NULL, runtime_version TEXT NOT NULL,
  operator TEXT NOT NULL, context_id TEXT NOT NULL,
  median_ms REAL NOT NULL, measurement TEXT NOT NULL, measured_at TEXT NOT NULL,
  PRIMARY KEY (adapter_id, device_fingerprint, runtime_version, operator, context_id)
);
CREATE TABLE IF NOT EXISTS network_latency (
  adapter_id TEXT NOT NULL, device_fingerprint TEXT NOT NULL, runtime_version TEXT NOT NULL,
  preset TEXT NOT NULL, arch TEXT NOT NULL,
  median_ms REAL NOT NULL, measurement TEXT NOT NULL, measured_at TEXT NOT NULL,
  PRIMARY KEY (adapter_id, device_fingerprint, runtime_version, preset, arch)
);
CREATE TABLE IF NOT EXISTS network_latency_repeat (
  adapter_id TEXT NOT NULL, device_fingerprint TEXT NOT NULL, runtime_version TEXT NOT NULL,
  preset TEXT NOT NULL, arch TEXT NOT NULL, trial INTEGER NOT NULL,
  median_ms REAL NOT NULL, measurement TEXT NOT NULL, measured_at TEXT NOT NULL,
  PRIMARY KEY (adapter_id, device_fingerprint, runtime_version, preset, arch, trial)
);
CREATE TABLE IF NOT EXISTS canary_latency (
  adapter_id TEXT NOT NULL, device_fingerprint TEXT NOT NULL, runtime_version TEXT NOT NULL,
  preset TEXT NOT NULL, arch TEXT NOT NULL, run_at TEXT NOT NULL,
  median_ms REAL NOT NULL, measurement TEXT NOT NULL,
  PRIMARY KEY (adapter_id, device_fingerprint, preset, arch, run_at)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;
const SCHEMA_VERSION = '1';

/**
 * The default {@link LatencyStore}: one SQLite file (better-sqlite3) in write-ahead-log mode.
 * Every put is its own committed transaction, so a run killed at any moment (even `kill -9`)
 * keeps every measurement it finished.
 */
export class SqliteLatencyStore implements LatencyStore {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
      const v = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
      if (!v) this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', SCHEMA_VERSION);
      else if (v.value !== SCHEMA_VERSION) throw new Error(`schema version ${v.value}, this Hurricane reads ${SCHEMA_VERSION}`);
    } catch (error) {
      throw new HurricaneError(`latency store ${file} cannot be opened: ${(error as Error).message}; move it aside to start a new one`);
    }
  }

  getOperator(k: OperatorKey): LatencyMeasurement | undefined {
    const row = this.db
      .prepare(
        'SELECT measurement FROM operator_latency WHERE adapter_id=? AND device_fingerprint=? AND runtime_version=? AND operator=? AND context_id=?',
      )
      .get(k.adapterId, k.deviceFingerprint, k.runtimeVersion, k.operator, k.contextId) as { measurement: string } | undefined;
    return row ? (JSON.parse(row.measurement) as LatencyMeasurement) : undefined;
  }

  putOperator(k: OperatorKey, m: LatencyMeasurement): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO operator_latency (adapter_id, device_fingerprint, runtime_version, operator, context_id, median_ms, measurement, measured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        k.adapterId,
        k.deviceFingerprint,
        k.runtimeVersion,
        k.operator,
        k.contextId,
        m.medianMs,
        JSON.stringify(m),
        m.provenance.timestamp,
      );
  }

  listOperators(d: Omit<OperatorKey, 'operator' | 'contextId'>): { key: OperatorKey; measurement: LatencyMeasurement }[] {
    const rows = this.db
      .prepare(
        'SELECT operator, context_id, measurement FROM operator_latency WHERE adapter_id=? AND device_fingerprint=? AND runtime_version=? ORDER BY context_id, operator',
      )
      .all(d.adapterId, d.deviceFingerprint, d.runtimeVersion) as { operator: string; context_id: string; measurement: string }[];
    return rows.map((r) => ({
      key: { ...d, operator: r.operator, contextId: r.context_id },
      measurement: JSON.parse(r.measurement) as LatencyMeasurement,
    }));
  }

  getNetwork(k: NetworkKey, trial = 0): LatencyMeasurement | undefined {
    const where = 'adapter_id=? AND device_fingerprint=? AND runtime_version=? AND preset=? AND arch=?';
    const row = (
      trial === 0
        ? this.db
            .prepare(`SELECT measurement FROM network_latency WHERE ${where}`)
            .get(k.adapterId, k.deviceFingerprint, k.runtimeVersion, k.preset, k.arch)
        : this.db
            .prepare(`SELECT measurement FROM network_latency_repeat WHERE ${where} AND trial=?`)
            .get(k.adapterId, k.deviceFingerprint, k.runtimeVersion, k.preset, k.arch, trial)
    ) as { measurement: string } | undefined;
    return row ? (JSON.parse(row.measurement) as LatencyMeasurement) : undefined;
  }

  putNetwork(k: NetworkKey, m: LatencyMeasurement, trial = 0): void {
    if (!Number.isInteger(trial) || trial < 0) throw new RangeError(`trial must be a non-negative integer, got ${trial}`);
    const values = [k.adapterId, k.deviceFingerprint, k.runtimeVersion, k.preset, k.arch];
    const cols = 'adapter_id, device_fingerprint, runtime_version, preset, arch';
    if (trial === 0) {
      this.db
        .prepare(`INSERT OR REPLACE INTO network_latency (${cols}, median_ms, measurement, measured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(...values, m.medianMs, JSON.stringify(m), m.provenance.timestamp);
    } else {
      this.db
        .prepare(
          `INSERT OR REPLACE INTO network_latency_repeat (${cols}, trial, median_ms, measurement, measured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(...values, trial, m.medianMs, JSON.stringify(m), m.provenance.timestamp);
    }
  }

  putCanary(k: NetworkKey, runAt: string, m: LatencyMeasurement): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO canary_latency (adapter_id, device_fingerprint, runtime_version, preset, arch, run_at, median_ms, measurement) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(k.adapterId, k.deviceFingerprint, k.runtimeVersion, k.preset, k.arch, runAt, m.medianMs, JSON.stringify(m));
  }

  canaryRuns(d: Pick<NetworkKey, 'adapterId' | 'deviceFingerprint' | 'preset'>, limit: number): CanaryRun[] {
    const runs = this.db
      .prepare(
        'SELECT DISTINCT run_at FROM canary_latency WHERE adapter_id=? AND device_fingerprint=? AND preset=? ORDER BY run_at DESC LIMIT ?',
      )
      .all(d.adapterId, d.deviceFingerprint, d.preset, limit) as { run_at: string }[];
    return runs.map(({ run_at }) => {
      const rows = this.db
        .prepare(
          'SELECT arch, runtime_version, measurement FROM canary_latency WHERE adapter_id=? AND device_fingerprint=? AND preset=? AND run_at=?',
        )
        .all(d.adapterId, d.deviceFingerprint, d.preset, run_at) as { arch: string; runtime_version: string; measurement: string }[];
      return {
        runAt: run_at,
        runtimeVersion: rows[0]?.runtime_version ?? 'unknown',
        byArch: new Map(rows.map((r) => [r.arch, JSON.parse(r.measurement) as LatencyMeasurement])),
      };
    });
  }

  close(): void {
    this.db.close();
  }
}

/**
 * The stored operator latencies of one device and runtime by `operator@contextId`, each measurement
 * reduced to one figure by `statistic` (default its median).
 */
export function operatorLatencies(
  store: LatencyStore,
  device: Omit<OperatorKey, 'operator' | 'contextId'>,
  statistic: (m: LatencyMeasurement) => number = (m) => m.medianMs,
): Map<string, number> {
  return new Map(store.listOperators(device).map((r) => [`${r.key.operator}@${r.key.contextId}`, statistic(r.measurement)]));
}
