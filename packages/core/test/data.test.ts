import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { DatasetError, channelStats, splitValidation, trainingView } from '../src/data/dataset.js';
import { loadCifar10, loadMnist, readCifar10Batches, readImageFolder } from '../src/data/loaders.js';
import { Rng } from '../src/random.js';
import { loadIdxFolder } from '../src/data/idx.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'hurricane-data-'));

/** Writes a CIFAR-10 binary batch: record r has label r % 10 and pixel value (r + channel·50 + p) % 256. */
function cifarBatch(file: string, records: number): void {
  const b = Buffer.alloc(records * 3073);
  for (let r = 0; r < records; r++) {
    b[r * 3073] = r % 10;
    for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 1024; p++) b[r * 3073 + 1 + ch * 1024 + p] = (r + ch * 50 + p) % 256;
  }
  writeFileSync(file, b);
}

const errorOf = async (f: () => unknown) => {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('CIFAR-10 binary batches', () => {
  it('reads labels and converts the R, G, B planes to NHWC', () => {
    const dir = tmp();
    cifarBatch(path.join(dir, 'data_batch_1.bin'), 12);
    const s = readCifar10Batches([path.join(dir, 'data_batch_1.bin')]);
    expect(s.count).toBe(12);
    expect([...s.labels.slice(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    // example 3, pixel 5: R = 3+5, G = 3+50+5, B = 3+100+5
    expect([...s.pixels.slice(3 * 3072 + 5 * 3, 3 * 3072 + 5 * 3 + 3)]).toEqual([8, 58, 108]);
  });

  it('loads the train batches and keeps the test batch apart', () => {
    const dir = tmp();
    for (const i of [1, 2]) cifarBatch(path.join(dir, `data_batch_${i}.bin`), 10);
    cifarBatch(path.join(dir, 'test_batch.bin'), 5);
    const { train, test } = loadCifar10(dir);
    expect([train.count, test.count]).toEqual([20, 5]);
  });

  it('names a truncated file, a bad label and a missing test batch', async () => {
    const dir = tmp();
    cifarBatch(path.join(dir, 'data_batch_1.bin'), 3);
    const f = path.join(dir, 'data_batch_1.bin');
    writeFileSync(
      f,
      require('node:fs')
        .readFileSync(f)
        .subarray(0, 3073 * 2 + 100),
    );
    expect(await errorOf(() => readCifar10Batches([f]))).toBe(
      `CIFAR-10 file ${f} is 6246 bytes, not a whole number of 3073-byte records: truncated, or not a CIFAR-10 binary batch`,
    );
    const bad = path.join(dir, 'bad.bin');
    const b = Buffer.alloc(3073);
    b[0] = 42;
    writeFileSync(bad, b);
    expect(await errorOf(() => readCifar10Batches([bad]))).toMatch(/record 0 has label 42 \(must be 0–9\)/);
    cifarBatch(path.join(dir, 'data_batch_1.bin'), 2);
    expect(await errorOf(() => loadCifar10(dir))).toBe(
      `${dir} has no test_batch.bin: the CIFAR-10 test set is needed (it stays apart from training)`,
    );
  });
});

describe('MNIST from the mnist package', () => {
  it('loads 28x28 digits of 10 classes with a seeded test split set apart', () => {
    const { train, test } = loadMnist({ seed: 1, testPerClass: 20 });
    expect(train.shape).toEqual([1, 28, 28]);
    expect(test.count).toBe(200);
    expect(train.count).toBeGreaterThan(9000);
    expect(new Set(test.labels).size).toBe(10);
    expect(Math.max(...train.pixels.slice(0, 784 * 5))).toBe(255);
    const again = loadMnist({ seed: 1, testPerClass: 20 });
    expect(again.test.pixels).toEqual(test.pixels);
  });
});

describe('image folders', () => {
  it('decodes JPEG and PNG class folders, resizing them', async () => {
    const dir = tmp();
    for (const [cls, color] of [
      ['cat', { r: 255, g: 0, b: 0 }],
      ['dog', { r: 0, g: 0, b: 255 }],
    ] as const) {
      mkdirSync(path.join(dir, cls));
      await sharp({ create: { width: 20, height: 10, channels: 3, background: color } })
        .png()
        .toFile(path.join(dir, cls, 'a.png'));
      await sharp({ create: { width: 12, height: 12, channels: 3, background: color } })
        .jpeg()
        .toFile(path.join(dir, cls, 'b.jpg'));
    }
    writeFileSync(path.join(dir, 'cat', 'notes.txt'), 'ignored');
    const s = await readImageFolder(dir, { size: 8 });
    expect(s).toMatchObject({ count: 4, numClasses: 2, classNames: ['cat', 'dog'], shape: [3, 8, 8] });
    expect([...s.labels]).toEqual([0, 0, 1, 1]);
    expect(s.pixels[0]).toBeGreaterThan(240); // red
    expect(s.pixels[2 * 192 + 2]).toBeGreaterThan(240); // blue
  });

  it('names a corrupt image and a folder without classes', async () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'a'));
    mkdirSync(path.join(dir, 'b'));
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } })
      .png()
      .toFile(path.join(dir, 'a', 'ok.png'));
    writeFileSync(path.join(dir, 'b', 'broken.jpg'), 'not a jpeg');
    expect(await errorOf(() => readImageFolder(dir, { size: 4 }))).toMatch(
      new RegExp(`^image ${path.join(dir, 'b', 'broken.jpg')} cannot be decoded \\(.*\\): replace or remove it$`),
    );
    const flat = tmp();
    expect(await errorOf(() => readImageFolder(flat, { size: 4 }))).toBe(
      `image folder ${flat} needs one sub-folder per class, at least two; found 0`,
    );
  });
});

describe('splits, normalisation and augmentation', () => {
  const dir = tmp();
  cifarBatch(path.join(dir, 'b.bin'), 100);
  const set = readCifar10Batches([path.join(dir, 'b.bin')]);

  it('holds out a seeded, per-class validation split disjoint from training', () => {
    const a = splitValidation(set, { perClass: 2, seed: 5 });
    expect(a.valIndices).toHaveLength(20);
    expect(a.trainIndices).toHaveLength(80);
    expect(a.valIndices.filter((i) => a.trainIndices.includes(i))).toEqual([]);
    for (let c = 0; c < 10; c++) expect(a.valIndices.filter((i) => set.labels[i] === c)).toHaveLength(2);
    expect(splitValidation(set, { perClass: 2, seed: 5 })).toEqual(a);
    expect(splitValidation(set, { perClass: 2, seed: 6 }).valIndices).not.toEqual(a.valIndices);
  });

  it('normalises with the training statistics, and augments only when given a generator', () => {
    const idx = [0, 1, 2, 3];
    const { mean, std } = channelStats(set, idx);
    const view = trainingView(set, idx, { augmentation: { cropPadding: 4, flip: true }, mean, std });
    const plain = view.batch([0, 1, 2, 3], null);
    let m = 0;
    for (let i = 0; i < plain.x.length; i += 3) m += plain.x[i] as number;
    expect(m / (plain.x.length / 3)).toBeCloseTo(0, 5);
    expect([...plain.labels]).toEqual([0, 1, 2, 3]);
    const aug1 = view.batch([0, 1, 2, 3], new Rng(9));
    const aug2 = view.batch([0, 1, 2, 3], new Rng(9));
    expect(aug1.x).toEqual(aug2.x);
    expect(aug1.x).not.toEqual(plain.x);
  });
});

describe('IDX files (the MNIST / Fashion-MNIST format)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  /** An IDX file written by hand from its published layout: 0, 0, type 0x08, rank, big-endian dims, bytes. */
  const idx = (dims: number[], data: number[]) => {
    const head = Buffer.alloc(4 + 4 * dims.length);
    head[2] = 0x08;
    head[3] = dims.length;
    for (const [i, d] of dims.entries()) head.writeUInt32BE(d, 4 + 4 * i);
    return Buffer.concat([head, Buffer.from(data)]);
  };
  const folder = (files: Record<string, Buffer>) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hurricane-idx-'));
    dirs.push(dir);
    for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), bytes);
    return dir;
  };
  const pixels = Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 10);

  it('reads a train/t10k folder, gzip-compressed or not, with the shapes, pixels and labels written', () => {
    const dir = folder({
      'train-images-idx3-ubyte.gz': gzipSync(idx([3, 2, 2], pixels)),
      'train-labels-idx1-ubyte.gz': gzipSync(idx([3], [2, 0, 1])),
      't10k-images-idx3-ubyte': idx([1, 2, 2], [255, 0, 0, 255]),
      't10k-labels-idx1-ubyte': idx([1], [1]),
    });
    const { train, test } = loadIdxFolder(dir);
    expect(train.shape).toEqual([1, 2, 2]);
    expect(train.count).toBe(3);
    expect([...train.pixels]).toEqual(pixels);
    expect([...train.labels]).toEqual([2, 0, 1]);
    expect(train.numClasses).toBe(3);
    expect(test.count).toBe(1);
    expect([...test.pixels]).toEqual([255, 0, 0, 255]);
  });

  it('refuses broken files with one line naming the file and the problem', () => {
    const good = {
      'train-labels-idx1-ubyte': idx([3], [0, 1, 2]),
      't10k-images-idx3-ubyte': idx([1, 2, 2], [1, 2, 3, 4]),
      't10k-labels-idx1-ubyte': idx([1], [0]),
    };
    const cases: [Record<string, Buffer>, RegExp][] = [
      [
        { ...good, 'train-images-idx3-ubyte': idx([3, 2, 2], pixels).subarray(0, 20) },
        /train-images-idx3-ubyte is truncated or padded: its header says 3x2x2 = 12 bytes, it holds 4/,
      ],
      [{ ...good, 'train-images-idx3-ubyte': Buffer.from('P5 not idx') }, /is not an IDX file/],
      [{ ...good, 'train-images-idx3-ubyte': Buffer.concat([Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 1]), Buffer.alloc(4)]) }, /IDX type 0xd/],
      [
        { ...good, 'train-images-idx3-ubyte': idx([2, 2, 2], pixels.slice(0, 8)) },
        /has 2 images but .*train-labels-idx1-ubyte has 3 labels/,
      ],
      [{ ...good, 'train-images-idx3-ubyte.gz': Buffer.from([0x1f, 0x8b, 1, 2, 3]) }, /is not a valid gzip file/],
      [good, /has no train-images-idx3-ubyte\[\.gz\]/],
    ];
    for (const [files, message] of cases) {
      const e = (() => {
        try {
          loadIdxFolder(folder(files));
        } catch (err) {
          return err as DatasetError;
        }
        return null;
      })();
      expect(e, String(message)).toBeInstanceOf(DatasetError);
      expect(e?.message).toMatch(message);
      expect(e?.message).not.toContain('\n');
      expect(e?.exitCode).toBe(2);
    }
  });
});
