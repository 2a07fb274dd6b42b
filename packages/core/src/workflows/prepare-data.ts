// One data preparation for `hurricane train` and `hurricane search`: the configured dataset loaded,
// the preset it fits chosen, a seeded validation split held out of the training set, and the
// normalised views each stage reads (augmented training batches, plain recalibration batches,
// validation and test sets).
import path from 'node:path';
import type { ValueSource } from '../config/resolve.js';
import { PRESET_NAMES, type PresetName } from '../config/schema.js';
import { type ImageSet, channelStats, splitValidation, subset, trainingView } from '../data/dataset.js';
import { loadIdxFolder } from '../data/idx.js';
import { loadCifar10, loadMnist, readImageFolder } from '../data/loaders.js';
import type { TrainingData } from '../data/training-data.js';
import { ConfigError } from '../errors.js';
import type { HurricaneSession } from '../session/session.js';
import { preset } from '../space/backbone.js';

/** The training and validation split of the configured dataset (validation held out per class, seeded). */
export async function loadTrainingSet(session: HurricaneSession): Promise<ImageSet> {
  return (await loadDataset(session)).train;
}

const DATA_DIR_HINT = {
  cifar10: 'data_batch_1.bin … data_batch_5.bin and test_batch.bin',
  idx: 'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz and the t10k files (e.g. /usr/share/datasets/fashion-mnist)',
  folder: 'one sub-folder of images per class',
};

/**
 * The configured dataset's training set and its test set (the original test split; an image folder
 * has none, so `validationPerClass` seeded images per class are set apart as its test set).
 */
export async function loadDataset(session: HurricaneSession): Promise<{ train: ImageSet; test: ImageSet }> {
  const t = session.config.core.train;
  const seed = session.config.core.seed;
  if (t.dataset === 'mnist') return loadMnist({ seed });
  if (!t.dataDir)
    throw new ConfigError(
      `train.dataDir is required for train.dataset '${t.dataset}': set it to the folder with ${DATA_DIR_HINT[t.dataset]}`,
    );
  const dir = path.resolve(session.config.rootDir, t.dataDir);
  if (t.dataset === 'cifar10') return loadCifar10(dir);
  if (t.dataset === 'idx') return loadIdxFolder(dir);
  const all = await readImageFolder(dir, { size: preset(session.config.core.preset).input[1] });
  const split = splitValidation(all, { perClass: t.validationPerClass, seed: seed ^ 0x7e57 });
  return { train: subset(all, split.trainIndices, `${all.name}/train`), test: subset(all, split.valIndices, `${all.name}/test`) };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The preset training runs on: the configured one when the dataset fits it; when the preset was
 * left at its default, the preset the dataset fits (so `hurricane train` works with no config:
 * MNIST ships in the package). A preset set in the config or on the command line that does not fit
 * the dataset is a config error naming both keys.
 */
export function trainingPreset(session: HurricaneSession, set: ImageSet, log: (line: string) => void): PresetName {
  const core = session.config.core;
  if (sameShape(set.shape, preset(core.preset).input)) return core.preset;
  const fits = PRESET_NAMES.filter((p) => sameShape(set.shape, preset(p).input) && preset(p).classes === set.numClasses);
  const where = (key: string) => describeSource(session.config.sources.get(key));
  if (session.config.sources.get('preset')?.kind === 'default' && fits[0]) {
    log(
      `preset: ${fits[0]} (train.dataset '${core.train.dataset}' has ${set.shape.join('x')} images; the default preset '${core.preset}' does not fit them)`,
    );
    return fits[0];
  }
  const [c, h, w] = set.shape;
  const [bc, bh, bw] = preset(core.preset).input;
  throw new ConfigError(
    `preset '${core.preset}' (${where('preset')}) expects ${bw}x${bh}x${bc} images but train.dataset '${core.train.dataset}' (${where('train.dataset')}) has ${w}x${h}x${c}: ${fits.length > 0 ? `set preset to ${fits.map((f) => `'${f}'`).join(' or ')}` : 'choose a preset that fits the images'} or choose another train.dataset`,
  );
}

/** Where a config value came from, for messages. */
function describeSource(s: ValueSource | undefined): string {
  if (!s || s.kind === 'default') return 'the default';
  if (s.kind === 'flag') return s.flag;
  if (s.kind === 'file') return s.file;
  return 'discovered';
}

/** The views of the configured dataset each stage reads, and the preset they fit. */
export interface PreparedData {
  readonly presetName: PresetName;
  /** Training images, normalised and augmented (crop with padding; flips for colour images). */
  readonly train: TrainingData;
  /** The same images without augmentation: BatchNorm recalibration batches. */
  readonly recalibration: TrainingData;
  /** The held-out validation split, plain: the search's fitness. */
  readonly validation: TrainingData;
  /** The dataset's test split, plain: the retrained winner's figure. */
  readonly test: TrainingData;
  readonly trainImages: number;
  readonly validationImages: number;
  readonly testImages: number;
}

/** Loads the configured dataset, picks the preset it fits and splits it (seeded) into the views of {@link PreparedData}. */
export async function prepareData(session: HurricaneSession, log: (line: string) => void): Promise<PreparedData> {
  const core = session.config.core;
  const { train: set, test } = await loadDataset(session);
  const presetName = trainingPreset(session, set, log);
  const split = splitValidation(set, { perClass: core.train.validationPerClass, seed: core.seed });
  const { mean, std } = channelStats(set, split.trainIndices);
  const augmentation = set.shape[0] === 1 ? { cropPadding: 2, flip: false } : { cropPadding: 4, flip: true };
  const plain = { augmentation: { cropPadding: 0, flip: false }, mean, std };
  const [trainImages, validationImages] = [split.trainIndices.length, split.valIndices.length];
  log(`data: ${set.name}, ${trainImages} training, ${validationImages} validation and ${test.count} test images`);
  return {
    presetName,
    train: trainingView(set, split.trainIndices, { augmentation, mean, std }),
    recalibration: trainingView(set, split.trainIndices, plain),
    validation: trainingView(set, split.valIndices, plain),
    test: trainingView(
      test,
      Array.from({ length: test.count }, (_, i) => i),
      plain,
    ),
    ...{ trainImages, validationImages, testImages: test.count },
  };
}
