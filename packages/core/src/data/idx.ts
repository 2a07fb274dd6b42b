import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatasetError, type ImageSet } from './dataset.js';

/** An IDX file's element type codes (http://yann.lecun.com/exdb/mnist/, "the IDX file format"). */
const UNSIGNED_BYTE = 0x08;

/** The dimensions and uint8 payload of an IDX file of unsigned bytes (gzip-compressed or not). */
export function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DatasetError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DatasetError(`${file} is not a valid gzip file (${(e as Error).message}): download it again`);
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0)
    throw new DatasetError(`${file} is not an IDX file (it must start with two zero bytes, a type and a dimension count)`);
  if (bytes[2] !== UNSIGNED_BYTE)
    throw new DatasetError(
      `${file} holds IDX type 0x${(bytes[2] as number).toString(16)}; Hurricane reads unsigned-byte (0x08) images and labels`,
    );
  const rank = bytes[3] as number;
  if (bytes.length < 4 + 4 * rank) throw new DatasetError(`${file} is truncated: its header promises ${rank} dimensions`);
  const dims = Array.from({ length: rank }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  const expected = dims.reduce((a, b) => a * b, 1);
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset + 4 + 4 * rank, bytes.length - 4 - 4 * rank);
  if (data.length !== expected)
    throw new DatasetError(
      `${file} is truncated or padded: its header says ${dims.join('x')} = ${expected} bytes, it holds ${data.length}`,
    );
  return { dims, data: data.slice() };
}

/** One image set from an IDX images file (`N×H×W`) and its labels file (`N`). */
export function readIdxPair(imagesFile: string, labelsFile: string, name: string): ImageSet {
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  if (images.dims.length !== 3)
    throw new DatasetError(`${imagesFile} has ${images.dims.length} dimensions; an IDX image file has 3 (count, height, width)`);
  if (labels.dims.length !== 1)
    throw new DatasetError(`${labelsFile} has ${labels.dims.length} dimensions; an IDX label file has 1 (count)`);
  const [n, h, w] = images.dims as [number, number, number];
  if (labels.dims[0] !== n)
    throw new DatasetError(
      `${imagesFile} has ${n} images but ${labelsFile} has ${labels.dims[0]} labels: the two files must come from the same set`,
    );
  let classes = 0;
  for (const l of labels.data) classes = Math.max(classes, l + 1);
  return {
    name,
    shape: [1, h, w],
    numClasses: classes,
    classNames: Array.from({ length: classes }, (_, c) => String(c)),
    pixels: images.data,
    labels: labels.data,
    count: n,
  };
}

/**
 * An IDX dataset folder as MNIST and Fashion-MNIST ship it: `train-images-idx3-ubyte[.gz]`,
 * `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`
 * (Debian's dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist).
 */
export function loadIdxFolder(dir: string): { train: ImageSet; test: ImageSet } {
  if (!existsSync(dir))
    throw new DatasetError(`the IDX dataset folder ${dir} does not exist: set train.dataDir to the folder with train-images-idx3-ubyte.gz`);
  const files = readdirSync(dir);
  const find = (prefix: string, kind: 'images-idx3' | 'labels-idx1') => {
    const f = files.find((x) => x === `${prefix}-${kind}-ubyte` || x === `${prefix}-${kind}-ubyte.gz`);
    if (!f)
      throw new DatasetError(
        `${dir} has no ${prefix}-${kind}-ubyte[.gz]: an IDX dataset folder needs train-images/train-labels and t10k-images/t10k-labels files`,
      );
    return path.join(dir, f);
  };
  const base = path.basename(dir);
  const train = readIdxPair(find('train', 'images-idx3'), find('train', 'labels-idx1'), `${base}/train`);
  const test = readIdxPair(find('t10k', 'images-idx3'), find('t10k', 'labels-idx1'), `${base}/test`);
  if (test.shape[1] !== train.shape[1] || test.shape[2] !== train.shape[2])
    throw new DatasetError(
      `${dir}: the test images are ${test.shape[2]}x${test.shape[1]} but the training images ${train.shape[2]}x${train.shape[1]}`,
    );
  return { train, test: { ...test, numClasses: Math.max(test.numClasses, train.numClasses) } };
}
