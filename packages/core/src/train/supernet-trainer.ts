import { existsSync } from 'node:fs';
import type { TrainingData } from '../data/training-data.js';
import { Supernet } from '../engine/network.js';
import type { ProgressReporter } from '../progress.js';
import { type Rng, hash32 } from '../random.js';
import type { Architecture } from '../space/architecture.js';
import type { Backbone } from '../space/backbone.js';
import { PathEvaluator } from './path-evaluator.js';
import { trainingProgress } from './progress.js';
import { type NetworkTrainingOptions, loadCheckpointWeights, trainNetwork } from './trainer.js';

/** Where the trainer keeps its checkpoints and records finished trainings (a search's run folder). */
export interface TrainingJournal {
  /** The path of a file of the run. */
  file(name: string): string;
  /** What `finish(key, …)` recorded, or null. */
  done<T>(key: string): T | null;
  finish(key: string, value: unknown): void;
}

/** The optional parts of a recipe that are set (the cool-down, the warm-up, zero-γ). */
function recipeExtras(r: SupernetRecipe): Pick<NetworkTrainingOptions, 'coolDown' | 'warmupSteps' | 'zeroInitResidual'> {
  return {
    ...(r.coolDown !== undefined ? { coolDown: r.coolDown } : {}),
    ...(r.warmupSteps !== undefined ? { warmupSteps: r.warmupSteps } : {}),
    ...(r.zeroInitResidual !== undefined ? { zeroInitResidual: r.zeroInitResidual } : {}),
  };
}

/** The recipe of every supernet of a search (the config's `train` and `search` blocks). */
export type SupernetRecipe = Pick<
  NetworkTrainingOptions,
  | 'seed'
  | 'steps'
  | 'batchSize'
  | 'lr'
  | 'momentum'
  | 'weightDecay'
  | 'labelSmoothing'
  | 'schedule'
  | 'lossTarget'
  | 'coolDown'
  | 'warmupSteps'
  | 'zeroInitResidual'
> & {
  readonly checkpointEvery: number;
  readonly workers: number;
  readonly recalibrationBatches: number;
  readonly recalibrationBatchSize: number;
};

/** The sub-space one iteration trains over: each layer's choices and the active layers. */
export interface TrainedSpace {
  readonly candidates: readonly (readonly string[])[];
  choices(layer: number): readonly string[];
  readonly active: readonly number[];
}

/** How a supernet training ended. */
export interface SupernetTrainingRecord {
  readonly steps: number;
  readonly lossEma: number;
  readonly stoppedBy: 'steps' | 'loss-target';
}

/**
 * The search's supernet trainer on TF.js: each iteration builds a freshly initialised supernet over
 * the sub-space (its own seed), trains it by single-path uniform sampling of the admitted paths with
 * a resumable checkpoint in the journal, and evaluates paths with {@link PathEvaluator} (BatchNorm
 * recalibration and validation on ONNX Runtime). It fits the search's `SupernetTrainer` contract.
 */
export class TfSupernetTrainer {
  private net: Supernet | null = null;

  constructor(
    private readonly ctx: {
      readonly backbone: Backbone;
      readonly train: TrainingData;
      /** Training images without augmentation (BatchNorm recalibration batches). */
      readonly recalibration: TrainingData;
      readonly validation: TrainingData;
      readonly recipe: SupernetRecipe;
      readonly journal: TrainingJournal;
      readonly progress: ProgressReporter;
      readonly signal?: AbortSignal | undefined;
    },
  ) {}

  async train(iteration: number, space: TrainedSpace, samplePath: (rng: Rng) => Architecture) {
    const { ctx } = this;
    const r = ctx.recipe;
    this.dispose();
    const seed = hash32(`${r.seed}:supernet:${iteration}`);
    const net = new Supernet(
      ctx.backbone,
      seed,
      space.candidates.map((_, l) => space.choices(l)),
    );
    this.net = net;
    const checkpoint = ctx.journal.file(`supernet-${iteration}.safetensors`);
    const key = `search:trained-${iteration}`;
    let training = ctx.journal.done<SupernetTrainingRecord>(key);
    if (training && existsSync(checkpoint)) loadCheckpointWeights(net, checkpoint);
    else {
      const label = `iteration ${iteration}: supernet training (layers ${space.active[0]}–${space.active.at(-1)} active)`;
      const progress = trainingProgress(ctx.progress, { steps: r.steps, batchSize: r.batchSize, label });
      const result = await trainNetwork(net, ctx.train, {
        ...{ steps: r.steps, batchSize: r.batchSize, lr: r.lr, momentum: r.momentum, weightDecay: r.weightDecay },
        ...{ labelSmoothing: r.labelSmoothing, schedule: r.schedule, seed },
        ...(r.lossTarget !== undefined ? { lossTarget: r.lossTarget } : {}),
        ...recipeExtras(r),
        ...{ checkpointEvery: r.checkpointEvery, checkpointFile: checkpoint, workers: r.workers, samplePath },
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onStep: progress.onStep,
      }).finally(() => progress.stop());
      training = { steps: result.steps, lossEma: result.lossEma, stoppedBy: result.stoppedBy };
      ctx.journal.finish(key, training);
    }
    const evaluatorWith = (seed: number) =>
      PathEvaluator.create(net, ctx.recalibration, ctx.validation, {
        ...{ recalibrationBatches: r.recalibrationBatches, recalibrationBatchSize: r.recalibrationBatchSize, seed },
      });
    const pe = await evaluatorWith(r.seed);
    // the fitness-noise check: the same paths after recalibration on an independent sample of batches
    let again: Promise<PathEvaluator> | null = null;
    const evaluator = {
      evaluate: (a: Architecture) => pe.evaluate(a),
      evaluateAgain: async (a: Architecture) => {
        again ??= evaluatorWith(hash32(`${r.seed}:noise-check`));
        return (await again).evaluate(a);
      },
      validationImages: ctx.validation.size,
    };
    return { training, evaluator };
  }

  dispose(): void {
    this.net?.dispose();
    this.net = null;
  }
}
