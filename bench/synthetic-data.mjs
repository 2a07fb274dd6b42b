// Random labelled images in memory for the benchmarks (speed does not depend on the pixels).
import { Rng } from '@hurricane/core';

/** `n` images of `backbone.input` drawn by `pixel(rng)`, labels uniform over the classes, as the trainer's TrainingData. */
export function syntheticData(backbone, n, seed, pixel = (rng) => rng.next() * 2 - 1) {
  const [C, H, W] = backbone.input;
  const size = H * W * C;
  const rng = new Rng(seed);
  const images = Float32Array.from({ length: n * size }, () => pixel(rng));
  const labels = Int32Array.from({ length: n }, () => rng.int(0, backbone.classes - 1));
  return {
    size: n,
    inputShape: backbone.input,
    numClasses: backbone.classes,
    batch: (idx) => {
      const x = new Float32Array(idx.length * size);
      for (const [k, i] of idx.entries()) x.set(images.subarray(i * size, (i + 1) * size), k * size);
      return { x, labels: Int32Array.from(idx, (i) => labels[i]) };
    },
  };
}
