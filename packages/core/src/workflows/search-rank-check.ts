// The rank check of `hurricane search` (`search.rankCheck`): paths of the final step spread over
// its fitness range, each trained on its own with a short fixed schedule, and how well the
// supernet's fitness ordered them. Resumable: every finished path is written to `rank-check.json`
// atomically, and the path in training resumes from its checkpoint.
import { HurricaneError } from '../errors.js';
import { hash32 } from '../random.js';
import type { IterationResult } from '../search/coordinate-ascent.js';
import { rankAgreement, rankCheckPaths } from '../search/rank-check.js';
import { agreementLine } from '../report/search-report.js';
import type { RankCheckSummary } from '../report/search-summaries.js';
import type { Architecture } from '../space/architecture.js';
import { type RunContext, type SearchResult, resultOf } from './search-context.js';
import type { EngineRun } from './search-engine.js';

/** Bootstrap resamples behind the intervals of τ and ρ. */
const BOOTSTRAP = 1000;

interface Progress {
  readonly format: 'hurricane-rank-check';
  readonly version: 1;
  readonly steps: number;
  readonly paths: readonly { arch: Architecture; fitness: number; standalone?: number }[];
}

/**
 * Runs the rank check of the search's last step. `rank-check.json` keeps every path trained so far
 * and is not removed by `--from`: a path with the same architecture and schedule is never trained
 * twice; the checkpoint of a path in training is (`rank-check-<i>.safetensors`).
 */
export async function rankCheckPhase(c: RunContext, engineRun: EngineRun): Promise<RankCheckSummary> {
  const sc = c.session.config.core.search;
  const seed = c.session.config.core.seed;
  const base = { requested: sc.rankCheck, steps: sc.rankCheckSteps };
  if (sc.rankCheck === 0) return { ...base, paths: [], agreement: null };
  const { iterations } = resultOf<SearchResult>(c, 'search');
  const last = iterations.at(-1)?.iteration as number;
  const step = c.run.readJson<IterationResult>(`iteration-${last}.json`);
  if (!step) throw new HurricaneError(`the run folder ${c.run.dir} lost iteration-${last}.json: run the search again with --from search`);
  // paths trained earlier with the same schedule are kept (a killed check, a re-run after --from retrain)
  const saved = c.run.readJson<Progress>('rank-check.json');
  const kept = new Map(
    saved?.format === 'hurricane-rank-check' && saved.steps === sc.rankCheckSteps
      ? saved.paths.filter((p) => p.standalone !== undefined).map((p) => [p.arch.join(','), p.standalone as number])
      : [],
  );
  const progress: { arch: Architecture; fitness: number; standalone?: number }[] = rankCheckPaths(step.evaluated, sc.rankCheck, seed).map(
    (p) => {
      const standalone = kept.get(p.arch.join(','));
      return { arch: p.arch, fitness: p.accuracy, ...(standalone !== undefined ? { standalone } : {}) };
    },
  );
  const toTrain = progress.filter((p) => p.standalone === undefined).length;
  c.log(
    `rank check: ${progress.length} paths of step ${last}, each trained on its own for ${sc.rankCheckSteps} steps (${toTrain} to train, ${progress.length - toTrain} kept)`,
  );
  for (const [i, p] of progress.entries()) {
    if (p.standalone !== undefined) continue;
    const r = await c.engine.trainStandalone(engineRun, p.arch, {
      ...{ steps: sc.rankCheckSteps, lr: sc.retrainLr, seed: hash32(`${seed}:rank-check:${p.arch.join(',')}`) },
      ...{ checkpointFile: c.run.file(`rank-check-${i}.safetensors`), label: `rank check ${i + 1}/${progress.length}` },
    });
    p.standalone = r.accuracy;
    c.run.writeJson('rank-check.json', { format: 'hurricane-rank-check', version: 1, steps: sc.rankCheckSteps, paths: progress });
    c.log(
      `rank check ${i + 1}/${progress.length}: supernet fitness ${(p.fitness * 100).toFixed(2)} %, on its own ${(r.accuracy * 100).toFixed(2)} % validation`,
    );
  }
  const paths = progress.map((p) => ({ arch: p.arch, fitness: p.fitness, standalone: p.standalone as number }));
  const agreement =
    paths.length >= 3
      ? rankAgreement(
          paths.map((p) => p.fitness),
          paths.map((p) => p.standalone),
          0,
          { bootstrap: BOOTSTRAP, seed },
        )
      : null;
  if (agreement) c.log(`rank check: ${agreementLine(agreement)}`);
  return { ...base, iteration: last, paths, agreement };
}
