import { container as globalContainer } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { coreDefaults } from '../src/config/schema.js';
import type { ResolvedConfig } from '../src/config/resolve.js';
import { createRunContainer } from '../src/session/container.js';
import { HurricaneConfig } from '../src/session/tokens.js';
import { Environment } from '../src/contracts/environment.js';
import { HardwareAdapter } from '../src/contracts/hardware-adapter.js';
import { Logger } from '../src/contracts/logger.js';
import { ScoringFunction } from '../src/contracts/scoring-function.js';
import { ToolRunner } from '../src/contracts/tool-runner.js';
import { Eq4Scoring } from '../src/profile/eq4-scoring.js';
import { MemoryLogger, RecordingToolRunner } from '../src/testing/fakes.js';
import { SimulatedAdapter } from '../src/testing/simulated.js';

function config(alpha = 0, beta = 0): ResolvedConfig {
  const d = coreDefaults();
  return {
    core: { ...d, plugins: [], scoring: { name: 'eq4', alpha, beta } },
    targets: [{ name: d.hardware, adapter: d.hardware, options: {} }],
    plugins: [],
    filepath: null,
    rootDir: '/x',
    workDir: '/x/.hurricane',
    sources: new Map(),
    commandLine: [],
    pluginSearchDirs: [],
  };
}

describe('run container', () => {
  it('resolves core services by their typed tokens', () => {
    const logger = new MemoryLogger();
    const runner = new RecordingToolRunner();
    const c = createRunContainer(config(), { logger, toolRunner: runner, env: { PATH: '/bin' } });
    expect(c.resolve(Logger)).toBe(logger);
    expect(c.resolve(ToolRunner)).toBe(runner);
    expect(c.resolve(Environment)).toEqual({ PATH: '/bin' });
    expect(c.resolve(HurricaneConfig).workDir).toBe('/x/.hurricane');
    const scorers = c.resolveAll(ScoringFunction);
    expect(scorers.map((s) => s.name)).toEqual(['eq4']);
    expect(scorers[0]).toBeInstanceOf(Eq4Scoring);
  });

  it('keeps runs apart: nothing leaks into another run or the global container', () => {
    const a = createRunContainer(config(), { logger: new MemoryLogger(), toolRunner: new RecordingToolRunner() });
    const b = createRunContainer(config(), { logger: new MemoryLogger(), toolRunner: new RecordingToolRunner() });
    a.register(HardwareAdapter, { useValue: new SimulatedAdapter({ id: 'only-in-a' }) });
    expect(a.resolveAll(HardwareAdapter).map((x) => x.id)).toEqual(['only-in-a']);
    expect(b.isRegistered(HardwareAdapter, true)).toBe(false);
    expect(globalContainer.isRegistered(HardwareAdapter, true)).toBe(false);
    expect(globalContainer.isRegistered(Logger, true)).toBe(false);
  });

  it('hands the configured alpha and beta to the Eq. 4 scorer', () => {
    const c = createRunContainer(config(1, 0.5), { logger: new MemoryLogger(), toolRunner: new RecordingToolRunner() });
    const s = c.resolve(ScoringFunction);
    // (FLOPs · Params^β)^α / latency = (1e6 · 400^0.5) / 2
    expect(s.score({ operator: 'MB_3_3', flops: 1e6, params: 400, latencyMs: 2 })).toBeCloseTo(1e7, 3);
  });
});

describe('Eq. 4 scoring', () => {
  const profiles = [
    { operator: 'fast-small', flops: 1e6, params: 1e3, latencyMs: 1 },
    { operator: 'slow-big', flops: 8e6, params: 8e3, latencyMs: 2 },
  ];
  it("is 1/latency with alpha = 0 (the paper's Table 1)", () => {
    const s = new Eq4Scoring({ alpha: 0, beta: 0 });
    expect(profiles.map((p) => s.score(p))).toEqual([1, 0.5]);
  });
  it('rewards capacity when alpha > 0', () => {
    const s = new Eq4Scoring({ alpha: 1, beta: 1 });
    expect(s.score(profiles[1] as (typeof profiles)[1])).toBeGreaterThan(s.score(profiles[0] as (typeof profiles)[0]));
    expect(s.score(profiles[0] as (typeof profiles)[0])).toBe(1e9);
  });
  it('rejects a non-positive latency and negative exponents', () => {
    expect(() => new Eq4Scoring({ alpha: 0, beta: 0 }).score({ operator: 'x', flops: 1, params: 1, latencyMs: 0 })).toThrow(
      /latency must be > 0/,
    );
    expect(() => new Eq4Scoring({ alpha: -1, beta: 0 })).toThrow(/alpha ≥ 0/);
  });
});
