// `pareto.json` of a search run (issue 23, item 5): every evaluated candidate that no other beats
// on both supernet accuracy and predicted latency on the run's target, fastest first, with the
// shortlist's measured latency where it measured one; and `hurricane export --from-pareto N`, which
// retrains the N-th as the search retrains its winner and writes it as ONNX, so that a user can take
// another trade-off without searching again.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PRESET_NAMES } from '../config/schema.js';
import { ConfigError, HurricaneError } from '../errors.js';
import { exportArchitecture } from '../onnx/model-files.js';
import type { ProgressReporter } from '../progress.js';
import type { RetrainSummary, Shortlist } from '../report/search-summaries.js';
import type { IterationResult } from '../search/coordinate-ascent.js';
import { paretoFront } from '../search/pareto.js';
import type { HurricaneSession } from '../session/session.js';
import { type Architecture, validateArchitecture } from '../space/architecture.js';
import { preset } from '../space/backbone.js';

/** The file's name in the run folder. */
export const PARETO_FILE = 'pareto.json';

const entrySchema = z
  .object({
    /** 1-based, fastest first: what `--from-pareto` takes. */
    rank: z.number().int().min(1),
    arch: z.array(z.string().min(1).max(64)).min(1).max(1000),
    /** The supernet's validation accuracy in the step that evaluated it. */
    accuracy: z.number().min(0).max(1),
    /** Predicted latency on the target (ms). */
    latencyMs: z.number().min(0),
    latencyStdMs: z.number().min(0).optional(),
    /** Measured by the shortlist before retraining (ms), when it was one of the top candidates. */
    measuredMs: z.number().min(0).optional(),
    /** The coordinate-ascent step (1-based) whose supernet scored it. */
    step: z.number().int().min(1),
    /** True for the search's winner. */
    winner: z.boolean(),
  })
  .strict();

const fileSchema = z
  .object({
    format: z.literal('hurricane-pareto'),
    version: z.literal(1),
    target: z.string().min(1),
    preset: z.enum(PRESET_NAMES),
    front: z.array(entrySchema).min(1).max(100_000),
  })
  .strict();

/** `pareto.json`. */
export type ParetoFile = z.output<typeof fileSchema>;
/** One candidate of the front. */
export type ParetoEntry = ParetoFile['front'][number];

/**
 * The front of every candidate the search evaluated (an architecture evaluated in two steps counts
 * with its later score), fastest first.
 */
export function paretoOf(
  o: { target: string; preset: ParetoFile['preset']; winner: Architecture; shortlist?: Shortlist },
  iterations: readonly IterationResult[],
): ParetoFile {
  const latest = new Map<string, IterationResult['evaluated'][number] & { step: number }>();
  for (const it of iterations) for (const c of it.evaluated) latest.set(c.arch.join(','), { ...c, step: it.iteration });
  const all = [...latest.values()];
  const measured = new Map((o.shortlist?.candidates ?? []).map((c) => [c.arch.join(','), c.measuredMs]));
  const front = [...paretoFront(all)].map((i) => all[i] as (typeof all)[number]).sort((a, b) => a.latencyMs - b.latencyMs);
  return {
    ...{ format: 'hurricane-pareto', version: 1, target: o.target, preset: o.preset },
    front: front.map((c, k) => ({
      ...{ rank: k + 1, arch: [...c.arch], accuracy: c.accuracy, latencyMs: c.latencyMs },
      ...(c.latencyStdMs !== undefined ? { latencyStdMs: c.latencyStdMs } : {}),
      ...(measured.has(c.arch.join(',')) ? { measuredMs: measured.get(c.arch.join(',')) as number } : {}),
      ...{ step: c.step, winner: c.arch.join(',') === o.winner.join(',') },
    })),
  };
}

/** Reads and checks a run's `pareto.json`; a missing or damaged one says how to make it again. */
export function readPareto(file: string, remake: string): ParetoFile {
  if (!existsSync(file)) throw new HurricaneError(`${file} does not exist: run '${remake}' first`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new HurricaneError(`${file} is not JSON (${(error as Error).message}): write it again with '${remake} --from report'`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HurricaneError(
      `${file}: '${issue?.path.join('.') ?? ''}' ${issue?.message ?? 'is invalid'}: write it again with '${remake} --from report'`,
    );
  }
  return parsed.data;
}

/** Options of {@link exportFromPareto}. */
export interface ParetoExportOptions {
  /** The search run's name (its folder under `<workDir>/runs`). */
  readonly run: string;
  /** 1-based rank in `pareto.json`. */
  readonly rank: number;
  /** The ONNX file to write. */
  readonly output: string;
  readonly progress?: ProgressReporter;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * Retrains the candidate of rank `rank` of a run's `pareto.json` from scratch, as the search
 * retrains its winner (in `<run>/pareto-<rank>/`, resumed after a kill), and writes it as ONNX with
 * its trained weights.
 */
export async function exportFromPareto(
  session: HurricaneSession,
  o: ParetoExportOptions,
): Promise<{ entry: ParetoEntry; retrain: RetrainSummary; file: string; bytes: number }> {
  const dir = path.join(session.config.workDir, 'runs', o.run);
  const remake = session.command('search', ...(o.run === 'hurricane' ? [] : ['--name', o.run]));
  const pareto = readPareto(path.join(dir, PARETO_FILE), remake);
  const entry = pareto.front[o.rank - 1];
  if (entry === undefined)
    throw new ConfigError(
      `--from-pareto ${o.rank}: the Pareto front of run '${o.run}' has ${pareto.front.length} candidate${pareto.front.length === 1 ? '' : 's'}; give 1–${pareto.front.length}`,
    );
  const s = session.withPreset(pareto.preset);
  const arch = validateArchitecture(entry.arch, preset(pareto.preset), { source: `${PARETO_FILE} candidate ${o.rank}` });
  // TF.js only when retraining (the report phase writes the file without it)
  const { retrainArchitecture } = await import('./retrain-architecture.js');
  const retrain = await retrainArchitecture(s, arch, {
    dir: path.join(dir, `pareto-${o.rank}`),
    ...(o.progress ? { progress: o.progress } : {}),
    ...(o.log ? { log: o.log } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const { bytes } = exportArchitecture({
    ...{ backbone: preset(pareto.preset), arch, output: o.output },
    ...{ seed: s.config.core.seed, weightsFile: retrain.weights },
  });
  return { entry, retrain, file: path.resolve(o.output), bytes };
}
