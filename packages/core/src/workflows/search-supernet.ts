import { existsSync } from 'node:fs';
import type { CoreConfig } from '../config/schema.js';
import type { TrainingData } from '../data/training-data.js';
import { Supernet } from '../engine/network.js';
import type { ProgressReporter } from '../progress.js';
import { type Rng, hash32 } from '../random.js';
import type { SupernetTrainer, SupernetTraining } from '../search/coordinate-ascent.js';
import type { SearchSpace } from '../search/search-space.js';
import type { Backbone } from '../space/backbone.js';
import type { Architecture } from '../space/architecture.js';
import { PathEvaluator } from '../train/path-evaluator.js';
import { loadCheckpointWeights, trainNetwork } from '../train/trainer.js';
import type { RunFolder } from './run-folder.js';

/** What the TF.js supernet trainer needs from the run. */
export interface SupernetContext {
  readonly backbone: Backbone;
  readonly train: TrainingData;
  /** Training images without augmentation (BatchNorm recalibration batches). */
  readonly recalibration: TrainingData;
  readonly validation: TrainingData;
  readonly core: CoreConfig;
  readonly workers: number;
  readonly run: RunFolder;
  readonly progress: ProgressReporter;
  readonly signal?: AbortSignal;
  /** Overrides `train.lossTarget` (Table 3 stops HURRICANE's supernets at the baseline's loss). */
  readonly lossTarget?: number;
}

/**
 * {@link SupernetTrainer} on TF.js: each iteration builds a freshly initialised supernet over the
 * sub-space (its own seed), trains it by single-path uniform sampling of the admitted paths with a
 * resumable checkpoint in the run folder, and evaluates paths with {@link PathEvaluator} (BatchNorm
 * recalibration and validation on ONNX Runtime).
 */
export class TfSupernetTrainer implements SupernetTrainer {
  private net: Supernet | null = null;

  constructor(private readonly ctx: SupernetContext) {}

  async train(iteration: number, space: SearchSpace, samplePath: (rng: Rng) => Architecture) {
    const { ctx } = this;
    const t = ctx.core.train;
    this.dispose();
    const candidates = space.candidates.map((_, l) => space.choices(l));
    const net = new Supernet(ctx.backbone, hash32(`${ctx.core.seed}:supernet:${iteration}`), candidates);
    this.net = net;
    const checkpoint = ctx.run.file(`supernet-${iteration}.safetensors`);
    const key = `search:trained-${iteration}`;
    let training = ctx.run.done<SupernetTraining>(key);
    if (training && existsSync(checkpoint)) {
      loadCheckpointWeights(net, checkpoint);
    } else {
      const steps = ctx.core.search.supernetSteps;
      const lossTarget = ctx.lossTarget ?? t.lossTarget;
      let started = false;
      const r = await trainNetwork(net, ctx.train, {
        ...{ steps, batchSize: t.batchSize, lr: t.lr, momentum: t.momentum, weightDecay: t.weightDecay },
        ...{ labelSmoothing: t.labelSmoothing, schedule: t.schedule, seed: hash32(`${ctx.core.seed}:supernet:${iteration}`) },
        ...(lossTarget !== undefined ? { lossTarget } : {}),
        ...{ checkpointEvery: t.checkpointEvery, checkpointFile: checkpoint, workers: ctx.workers },
        samplePath,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onStep: (s) => {
          if (!started) {
            ctx.progress.start(
              steps,
              s.step - 1,
              `iteration ${iteration}: supernet training (layers ${space.active[0]}–${space.active.at(-1)} active)`,
            );
            started = true;
          }
          ctx.progress.advance(1, `step ${s.step}: loss ${s.loss.toFixed(4)} (EMA ${s.lossEma.toFixed(4)})`);
        },
      }).finally(() => {
        if (started) ctx.progress.stop();
      });
      training = { steps: r.steps, lossEma: r.lossEma, stoppedBy: r.stoppedBy };
      ctx.run.finish(key, training);
    }
    const pe = await PathEvaluator.create(net, ctx.recalibration, ctx.validation, {
      recalibrationBatches: ctx.core.search.recalibrationBatches,
      recalibrationBatchSize: ctx.core.search.recalibrationBatchSize,
      seed: ctx.core.seed,
    });
    return { training, evaluator: { evaluate: (a: Architecture) => pe.evaluate(a) } };
  }

  dispose(): void {
    this.net?.dispose();
    this.net = null;
  }
}
