import type { LatencyMeasurement } from '../contracts/hardware-adapter.js';
import type { Architecture } from '../space/architecture.js';
import { type Backbone, layerContexts } from '../space/backbone.js';
import type { CanaryRun } from './latency-store.js';

/**
 * The canary networks of a preset: three fixed architectures that use one operator in every layer,
 * the preset's first, middle and last operator. They never depend on a profile or a reduced space,
 * so the same three are measured before the first profile and after every runtime update.
 */
export function canaryArchitectures(backbone: Backbone): Architecture[] {
  const ops = backbone.operators;
  const picks = [...new Set([0, Math.floor(ops.length / 2), ops.length - 1])].map((i) => ops[i] as string);
  const layers = layerContexts(backbone).length;
  return picks.map((op) => Array.from({ length: layers }, () => op));
}

/** The smallest shift the canaries report, whatever their uncertainty: run-to-run noise of whole networks on a shared host is a few %. */
export const MIN_CANARY_SHIFT = 0.05;

/** How far the canaries moved since an earlier run. */
export interface CanaryShift {
  /** Median over canaries of now ÷ then − 1. */
  readonly shift: number;
  /** The shift that counts as real: twice the median combined 95 % uncertainty, at least {@link MIN_CANARY_SHIFT}. */
  readonly noise: number;
  readonly moved: boolean;
  readonly compared: number;
  readonly previous: { readonly runAt: string; readonly runtimeVersion: string };
  /** What changed between the runs: the runtime version, the governor, the condition flags. */
  readonly changed: readonly string[];
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Compares this run's canaries with an earlier run's (the canaries both measured); null when they share none. */
export function compareCanaries(now: ReadonlyMap<string, LatencyMeasurement>, runtimeVersion: string, then: CanaryRun): CanaryShift | null {
  const ratios: number[] = [];
  const noise: number[] = [];
  for (const [arch, m] of now) {
    const p = then.byArch.get(arch);
    if (!p || !(p.medianMs > 0) || !(m.medianMs > 0)) continue;
    ratios.push(m.medianMs / p.medianMs);
    const u = Math.hypot((m.uncertaintyMs ?? 0) / m.medianMs, (p.uncertaintyMs ?? 0) / p.medianMs);
    noise.push(2 * u);
  }
  if (ratios.length === 0) return null;
  const shift = median(ratios) - 1;
  const floor = Math.max(MIN_CANARY_SHIFT, median(noise));
  const anyNow = [...now.values()][0];
  const anyThen = [...then.byArch.values()][0];
  const changed: string[] = [];
  if (runtimeVersion !== then.runtimeVersion) changed.push(`runtime ${then.runtimeVersion} → ${runtimeVersion}`);
  const gov = (m: LatencyMeasurement | undefined) => m?.conditions?.governor;
  if (gov(anyNow) !== gov(anyThen)) changed.push(`governor ${gov(anyThen) ?? 'unknown'} → ${gov(anyNow) ?? 'unknown'}`);
  const flags = (m: LatencyMeasurement | undefined) => (m?.conditions?.flags ?? []).join('+') || 'none';
  if (flags(anyNow) !== flags(anyThen)) changed.push(`condition flags ${flags(anyThen)} → ${flags(anyNow)}`);
  return {
    shift,
    noise: floor,
    moved: Math.abs(shift) > floor,
    compared: ratios.length,
    previous: { runAt: then.runAt, runtimeVersion: then.runtimeVersion },
    changed,
  };
}

/** The one line a run prints about its canaries, or null when there is nothing to say (no earlier run, nothing moved or changed). */
export function canaryLine(s: CanaryShift | null, recalibrate: string): string | null {
  if (!s) return null;
  const pct = `${s.shift >= 0 ? '+' : '−'}${(Math.abs(s.shift) * 100).toFixed(1)} %`;
  const since = `since the run of ${s.previous.runAt}${s.changed.length ? ` (${s.changed.join(', ')})` : ''}`;
  if (s.moved)
    return `warning: the ${s.compared} canary networks moved ${pct} ${since}, beyond the noise floor of ${(s.noise * 100).toFixed(1)} %: latencies measured before do not describe this device now; refit a predictor to it with '${recalibrate}'`;
  if (s.changed.length > 0) return `canaries: ${pct} ${since}, within the noise floor of ${(s.noise * 100).toFixed(1)} %`;
  return null;
}
