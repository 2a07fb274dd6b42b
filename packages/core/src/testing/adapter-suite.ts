import { describe, expect, it } from 'vitest';
import { HurricaneError, UnsupportedError } from '../errors.js';
import { summarizeSamples } from '../adapter-kit/statistics.js';
import type { Environment } from '../contracts/environment.js';
import type { HealthReport, LatencyMeasurement, OnnxModel } from '../contracts/hardware-adapter.js';
import type { HurricanePlugin } from '../contracts/plugin.js';
import { RecordingToolRunner } from './fakes.js';
import { createPluginHarness } from './harness.js';

/** What {@link describeHardwarePlugin} needs to know about a plugin. */
export interface HardwarePluginSuiteSpec {
  /** Exactly the adapter ids the plugin registers. */
  readonly adapterIds: readonly string[];
  /** The plugin's config block for every case (default `{}`). */
  readonly options?: unknown;
  /** A setting where the vendor tools or devices are absent (default: an empty environment, no PATH). */
  readonly missing?: SuiteSetting;
  /** A setting where they are present (e.g. fake executables on PATH). Omit if you have none. */
  readonly ready?: SuiteSetting;
  /**
   * Adapters that do not measure yet and say so: their prepare/measure must fail with an
   * {@link UnsupportedError}. Every other adapter must fail without its tools with a
   * `HurricaneError` that is *not* an `UnsupportedError`: a missing tool is told apart from an
   * operation the adapter does not have.
   */
  readonly measuresNot?: readonly string[];
  /** When given, each listed adapter must prepare and measure `model()` in the `ready` setting. */
  readonly measure?: {
    readonly ids: readonly string[];
    readonly model: () => OnnxModel | Promise<OnnxModel>;
    readonly workDir: () => string;
  };
}

/** An environment and, optionally, plugin options that replace `options`. */
export interface SuiteSetting {
  readonly env?: Environment;
  readonly options?: unknown;
}

const ONE_LINE = /^[^\n]+$/;

/** Checks the invariants every {@link LatencyMeasurement} must satisfy. */
export function expectValidMeasurement(m: LatencyMeasurement, adapterId: string): void {
  expect(m.samplesMs.length).toBeGreaterThan(0);
  for (const s of m.samplesMs) expect(Number.isFinite(s) && s >= 0).toBe(true);
  const summary = summarizeSamples(m.samplesMs);
  expect(m.medianMs).toBeCloseTo(summary.medianMs, 9);
  expect(m.meanMs).toBeCloseTo(summary.meanMs, 9);
  expect(m.p10Ms).toBeLessThanOrEqual(m.medianMs);
  expect(m.p90Ms).toBeGreaterThanOrEqual(m.medianMs);
  for (const i of m.outlierIndices) expect(i >= 0 && i < m.samplesMs.length).toBe(true);
  expect(m.provenance.adapterId).toBe(adapterId);
  for (const field of ['device', 'deviceFingerprint', 'runtime', 'runtimeVersion'] as const) {
    expect(m.provenance[field]).toMatch(ONE_LINE);
  }
  expect(Number.isNaN(Date.parse(m.provenance.timestamp))).toBe(false);
  for (const cmd of m.provenance.commands) {
    expect(cmd.length).toBeGreaterThan(0);
    for (const arg of cmd) expect(typeof arg).toBe('string');
  }
}

/** Checks the invariants every {@link HealthReport} must satisfy. */
export function expectValidHealthReport(r: HealthReport, adapterId: string): void {
  expect(r.adapterId).toBe(adapterId);
  expect(r.checks.length).toBeGreaterThan(0);
  for (const c of r.checks) {
    expect(c.name).toMatch(ONE_LINE);
    expect(c.detail).toMatch(ONE_LINE);
    if (c.status === 'missing' || c.status === 'error') expect(c.fix ?? '').toMatch(ONE_LINE);
  }
  expect(r.ready).toBe(r.checks.every((c) => c.status === 'ok' || c.status === 'warn'));
}

/**
 * The conformance suite every hardware plugin runs (the official `hw-*` packages and third-party
 * ones): registration through DI, side-effect-free construction, health checks that explain what
 * is missing, one-line errors, and valid measurements where a ready environment is given.
 *
 * ```ts
 * import plugin from '../src/index.js';
 * import { describeHardwarePlugin } from '@hurricane/core/testing';
 * describeHardwarePlugin(plugin, { adapterIds: ['acme-npu'], ready: { env: { PATH: fakeBin } } });
 * ```
 */
export function describeHardwarePlugin(plugin: HurricanePlugin<unknown>, spec: HardwarePluginSuiteSpec): void {
  const missing = { env: spec.missing?.env ?? {}, options: spec.missing?.options ?? spec.options };
  const ready = spec.ready ? { env: spec.ready.env ?? {}, options: spec.ready.options ?? spec.options } : undefined;
  describe(`hardware plugin ${plugin.name} (shared adapter suite)`, () => {
    it('registers exactly its documented adapters through DI', async () => {
      const h = await createPluginHarness(plugin, missing);
      try {
        expect(
          h
            .adapters()
            .map((a) => a.id)
            .sort(),
        ).toEqual([...spec.adapterIds].sort());
      } finally {
        await h.dispose();
      }
    });

    it('starts no tool while registering and constructing adapters', async () => {
      const runner = new RecordingToolRunner();
      const h = await createPluginHarness(plugin, { ...missing, toolRunner: runner });
      try {
        h.adapters();
        expect(runner.calls).toEqual([]);
      } finally {
        await h.dispose();
      }
    });

    for (const id of spec.adapterIds) {
      describe(id, () => {
        it('has a kebab-case id and a one-line description', async () => {
          const h = await createPluginHarness(plugin, missing);
          const a = h.adapter(id);
          expect(a.id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
          expect(a.description).toMatch(ONE_LINE);
          await h.dispose();
        });

        it('describe() and healthCheck() explain what is missing without throwing', async () => {
          const h = await createPluginHarness(plugin, missing);
          const a = h.adapter(id);
          const d = await a.describe();
          expect(d.adapterId).toBe(id);
          for (const f of [d.device, d.runtime, d.runtimeVersion]) expect(f).toMatch(ONE_LINE);
          const r = await a.healthCheck();
          expectValidHealthReport(r, id);
          expect(r.ready).toBe(false);
          expect(r.checks.some((c) => c.status === 'missing' || c.status === 'error')).toBe(true);
          await h.dispose();
        });

        it('fails to prepare or measure without its tools with a one-line HurricaneError that tells a missing tool from an unsupported operation', async () => {
          const h = await createPluginHarness(plugin, missing);
          const a = h.adapter(id);
          const model: OnnxModel = { path: '/nonexistent/model.onnx', inputName: 'input', inputShape: [1, 3, 8, 8], outputName: 'output' };
          const attempt = async () => {
            const prepared = await a.prepare(model, { workDir: '/nonexistent' });
            await a.measure(prepared, { timeoutMs: 10_000 });
          };
          const error = await attempt().then(
            () => null,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(HurricaneError);
          expect((error as Error).message).toMatch(ONE_LINE);
          if (spec.measuresNot?.includes(id)) expect(error, 'declared as not measuring yet').toBeInstanceOf(UnsupportedError);
          else
            expect(error, `a missing tool, not an unsupported operation: ${(error as Error).message}`).not.toBeInstanceOf(UnsupportedError);
          await h.dispose();
        });

        if (ready) {
          it('is ready when its tools and device are present', async () => {
            const h = await createPluginHarness(plugin, ready);
            const r = await h.adapter(id).healthCheck();
            expectValidHealthReport(r, id);
            expect(r.checks.filter((c) => c.status !== 'ok' && c.status !== 'warn')).toEqual([]);
            expect(r.ready).toBe(true);
            await h.dispose();
          });
        }

        if (spec.measure?.ids.includes(id)) {
          it('prepares and measures a model, with samples and provenance', async () => {
            const h = await createPluginHarness(plugin, ready ?? missing);
            const a = h.adapter(id);
            const measure = spec.measure;
            if (!measure) throw new Error('unreachable');
            const prepared = await a.prepare(await measure.model(), { workDir: measure.workDir() });
            expect(prepared.adapterId).toBe(id);
            const m = await a.measure(prepared, { minRuns: 3, maxRuns: 10, timeoutMs: 60_000 });
            expectValidMeasurement(m, id);
            await h.dispose();
          });
        }
      });
    }
  });
}
