import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HurricaneError } from '../src/errors.js';
import { Rng, hash32 } from '../src/random.js';
import { type LayerContext, layerContexts, makeBackbone, operatorGraph, skipLayersOf } from '../src/space/backbone.js';
import { runGraph } from '../src/engine/executor.js';
import { tinyBackbone } from './space-helpers.js';
import { Supernet } from '../src/engine/network.js';
import { tf } from '../src/engine/tf.js';
import type { TrainingData } from '../src/data/training-data.js';
import { BatchSampler } from '../src/train/sampler.js';
import { learningRate } from '../src/train/schedule.js';
import { type StepInfo, trainNetwork } from '../src/train/trainer.js';
import { readWeights } from '../src/onnx/weights-file.js';

const tiny = tinyBackbone();
const OPS = ['MB_3_1', 'Choice_3', 'SEP_3'];
const n = layerContexts(tiny).length;
/** The tiny backbone with two layers in each of the first two stages: layers 1 and 3 keep their shape. */
const tiny2 = makeBackbone({
  name: 'tiny2',
  inputSize: 8,
  inputChannels: 1,
  classes: 3,
  widthMultiplier: 0.25,
  stemStride: 1,
  stageRepeats: [2, 2, 1, 1],
});

/** 3 separable classes of 8x8 images: a bright left half, right half, or nothing, plus seeded noise. */
function separable(size: number, seed: number): TrainingData {
  const r = new Rng(seed);
  const labels = Int32Array.from({ length: size }, () => r.int(0, 2));
  const images = Array.from({ length: size }, (_, i) =>
    Float32Array.from({ length: 64 }, (_, p) => {
      const col = p % 8;
      const lit = (labels[i] === 0 && col < 4) || (labels[i] === 1 && col >= 4);
      return (lit ? 1 : -1) + (r.next() - 0.5) * 0.4;
    }),
  );
  return {
    size,
    inputShape: [1, 8, 8],
    numClasses: 3,
    batch(indices, augment) {
      const x = new Float32Array(indices.length * 64);
      indices.forEach((i, k) => {
        const img = images[i] as Float32Array;
        const flip = augment ? augment.next() < 0.5 : false;
        for (let p = 0; p < 64; p++) x[k * 64 + p] = flip ? (img[p - (p % 8) + (7 - (p % 8))] as number) : (img[p] as number);
      });
      return { x, labels: Int32Array.from(indices, (i) => labels[i] as number) };
    },
  };
}
// Flipping swaps "left" and "right", so the test data is augmented with nothing label-changing:
const data = (() => {
  const base = separable(96, 1);
  return { ...base, batch: (idx: readonly number[]) => base.batch(idx, null) } satisfies TrainingData;
})();
// SPOS's recipe at batch 64 (momentum 0.9, weight decay 4e-5, label smoothing 0.1, linear decay), smaller here
const options = {
  momentum: 0.9,
  weightDecay: 4e-5,
  labelSmoothing: 0.1,
  schedule: 'linear' as const,
  batchSize: 16,
  seed: 3,
  steps: 30,
  lr: 0.05,
};

describe('supernet training (SPOS)', () => {
  it('reduces the loss on a small separable dataset', async () => {
    // One path (a supernet with one candidate per layer): 30 steps are enough to learn it.
    const net = new Supernet(
      tiny,
      1,
      layerContexts(tiny).map(() => ['MB_3_1']),
    );
    const steps: StepInfo[] = [];
    const r = await trainNetwork(net, data, { ...options, onStep: (s) => steps.push(s) });
    expect(r).toMatchObject({ steps: 30, stoppedBy: 'steps', resumedFrom: 0 });
    const first = steps.slice(0, 5).reduce((a, s) => a + s.loss, 0) / 5;
    const last = steps.slice(-5).reduce((a, s) => a + s.loss, 0) / 5;
    expect(last).toBeLessThan(first * 0.8);
    expect(steps.at(-1)?.lr).toBeCloseTo(0.05 / 30, 10);
    net.dispose();
  }, 120_000);

  it('trains a supernet that offers Skip (the identity) in the layers that can take it: paths with and without it, the loss falls', async () => {
    // the tiny backbone with two layers in the first two stages: their second layers keep their shape
    const b = tiny2;
    const skip = skipLayersOf(b);
    expect(skip).toEqual([1, 3]);
    const net = new Supernet(
      b,
      1,
      layerContexts(b).map((c) => (skip.includes(c.layer) ? ['MB_3_1', 'Skip'] : ['MB_3_1'])),
    );
    const steps: StepInfo[] = [];
    await trainNetwork(net, data, { ...options, steps: 40, onStep: (s) => steps.push(s) });
    const withSkip = steps.filter((s) => s.arch.includes('Skip')).length;
    expect(withSkip).toBeGreaterThan(20); // 3 in 4 of the 40 paths take Skip in layer 2 or 4
    expect(steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    const first = steps.slice(0, 5).reduce((a, s) => a + s.loss, 0) / 5;
    const last = steps.slice(-5).reduce((a, s) => a + s.loss, 0) / 5;
    expect(last).toBeLessThan(first * 0.8);
    net.dispose();
  }, 120_000);

  it('warms the learning rate up linearly: step s uses lr·(1 − s/steps)·min(1, (s + 1)/warmup), by hand', async () => {
    const net = new Supernet(
      tiny,
      1,
      layerContexts(tiny).map(() => ['MB_3_1']),
    );
    const lrs: number[] = [];
    await trainNetwork(net, data, { ...options, steps: 8, warmupSteps: 4, onStep: (s) => lrs.push(s.lr) });
    const hand = [0, 1, 2, 3, 4, 5, 6, 7].map((s) => 0.05 * (1 - s / 8) * Math.min(1, (s + 1) / 4));
    lrs.forEach((lr, s) => {
      expect(lr).toBeCloseTo(hand[s] as number, 12);
    });
    net.dispose();
  }, 120_000);

  it('zero-γ starts every residual block as the identity: an MB block with C_in = C_out returns its input, the others keep γ = 1', () => {
    // tiny2: layers 1 and 3 keep their shape (MB adds its input there); layers 0 and 2 open a stage (no residual)
    const b = tiny2;
    const net = new Supernet(
      b,
      2,
      layerContexts(b).map(() => ['MB_3_3', 'SEP_3']),
    );
    const zeroed = net.zeroResidualBranches();
    expect(zeroed.sort()).toEqual(['layers.1.MB_3_3.project.bn', 'layers.3.MB_3_3.project.bn']);
    for (const name of net.store.names().filter((x) => x.endsWith('.gamma'))) {
      const g = net.store.onnxValues(name);
      expect([...new Set(g)], name).toEqual([zeroed.some((z) => name === `${z}.gamma`) ? 0 : 1]);
    }
    // layer 1 alone (16 → 16 at 8x8): with γ = 0 and β = 0 its output is its input, exactly
    const ctx = layerContexts(b)[1] as LayerContext;
    const graph = operatorGraph('MB_3_3', ctx, 'layers.1.MB_3_3');
    const x = tf.randomNormal([2, ctx.h, ctx.w, ctx.cin], 0, 1, 'float32', 5) as tf.Tensor4D;
    const y = tf.tidy(() => runGraph(graph, net.store, x, { training: false }));
    expect(tf.max(tf.abs(tf.sub(y, x))).dataSync()[0]).toBe(0);
    tf.dispose([x, y]);
    net.dispose();
  });

  it('samples one path per step, uniformly over the candidates', async () => {
    const net = new Supernet(
      tiny,
      1,
      layerContexts(tiny).map(() => OPS),
    );
    const archs: string[][] = [];
    await trainNetwork(net, data, { ...options, steps: 12, onStep: (s) => archs.push([...s.arch]) });
    expect(new Set(archs.map((a) => a.join())).size).toBeGreaterThan(8);
    const counts = OPS.map((op) => archs.flat().filter((x) => x === op).length);
    for (const c of counts) expect(c).toBeGreaterThan(8); // 60 draws over 3 operators
    net.dispose();
  }, 120_000);

  it('keeps memory flat over many steps', async () => {
    const net = new Supernet(
      tiny,
      2,
      layerContexts(tiny).map(() => OPS),
    );
    const before = tf.memory().numTensors;
    await trainNetwork(net, data, { ...options, steps: 12 });
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  }, 120_000);

  it('trains data-parallel in two worker threads: the loss falls, runs repeat exactly, a checkpoint resumes exactly', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hurricane-train-workers-'));
    const run = async (steps: number, extra: Partial<Parameters<typeof trainNetwork>[2]> = {}) => {
      const losses: number[] = [];
      const net = new Supernet(
        tiny,
        5,
        layerContexts(tiny).map(() => ['MB_3_1']),
      );
      const r = await trainNetwork(net, data, {
        ...options,
        steps: 30,
        workers: 2,
        ...extra,
        onStep: (s) => {
          losses.push(s.loss);
          extra.onStep?.(s);
        },
      }).catch((e: unknown) => e);
      const weights = net.store.onnxValues(net.store.names()[3] as string);
      net.dispose();
      return { r, losses, weights, steps };
    };
    const a = await run(30);
    const b = await run(30);
    expect(a.r).toMatchObject({ steps: 30, stoppedBy: 'steps' });
    expect(b.losses).toEqual(a.losses);
    expect(b.weights).toEqual(a.weights);
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    expect(mean(a.losses.slice(-5))).toBeLessThan(mean(a.losses.slice(0, 5)) * 0.8);

    const file = path.join(dir, 'ck.safetensors');
    const controller = new AbortController();
    const stopped = await run(30, {
      checkpointFile: file,
      signal: controller.signal,
      onStep: (s) => {
        if (s.step === 10) controller.abort();
      },
    });
    expect((stopped.r as Error).message).toBe('training stopped at step 10; the checkpoint is saved, run again to resume');
    const resumed = await run(30, { checkpointFile: file });
    expect(resumed.r).toMatchObject({ resumedFrom: 10, steps: 30 });
    expect([...stopped.losses, ...resumed.losses]).toEqual(a.losses);
    expect(resumed.weights).toEqual(a.weights);
  }, 120_000);

  it('stops at a diverging step without applying it or saving it: the last good checkpoint stays the one a rerun resumes from', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hurricane-train-')), 'ck.safetensors');
    const net = new Supernet(
      tiny,
      1,
      layerContexts(tiny).map(() => ['MB_3_1']),
    );
    const seen: StepInfo[] = [];
    // A learning rate of 1e6 blows the weights up within a few steps.
    const error = await trainNetwork(net, data, {
      ...options,
      lr: 1e6,
      schedule: 'constant' as const,
      steps: 40,
      checkpointEvery: 2,
      checkpointFile: file,
      onStep: (st) => seen.push(st),
    }).catch((e: unknown) => e);
    net.dispose();
    expect(error).toBeInstanceOf(HurricaneError);
    const m =
      /^training diverged at step (\d+) \((.+)\); nothing of that step was applied and the checkpoint of step (\d+) is kept and a rerun resumes from it; lower the learning rate \(now 1000000\) and run again$/.exec(
        (error as Error).message,
      );
    expect(m, (error as Error).message).not.toBeNull();
    const [divergedAt, , keptAt] = [Number(m?.[1]), m?.[2], Number(m?.[3])];
    expect(divergedAt).toBe(seen.length + 1);
    expect(keptAt).toBe(2 * Math.floor(seen.length / 2));
    const ck = readWeights(file);
    expect(JSON.parse(ck.metadata.training as string).step).toBe(keptAt);
    for (const [name, t] of ck.tensors) expect(t.data.every(Number.isFinite), `${name} is finite in the kept checkpoint`).toBe(true);
  }, 120_000);

  it('in one thread, still sees a stop requested by a timer or a signal handler while it trains (it yields every step)', async () => {
    const net = new Supernet(
      tiny,
      1,
      layerContexts(tiny).map(() => ['MB_3_1']),
    );
    // the stop is requested from a macrotask queued at step 3, as a timer or a signal handler would:
    // it can only run if the trainer yields to the event loop between steps
    const controller = new AbortController();
    const steps: number[] = [];
    const error = await trainNetwork(net, data, {
      ...options,
      steps: 100_000,
      workers: 1,
      signal: controller.signal,
      onStep: (s) => {
        steps.push(s.step);
        if (s.step === 3) setImmediate(() => controller.abort());
      },
    }).catch((e: unknown) => e);
    net.dispose();
    expect((error as Error).message).toBe(`training stopped at step ${steps.length}; the checkpoint is saved, run again to resume`);
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(steps.length).toBeLessThanOrEqual(4);
  }, 120_000);

  it('refuses a worker count outside 1 to the batch size', async () => {
    const net = new Supernet(
      tiny,
      1,
      layerContexts(tiny).map(() => OPS),
    );
    await expect(trainNetwork(net, data, { ...options, steps: 1, workers: 0 })).rejects.toThrow(
      'workers must be a whole number from 1 to the batch size (16), got 0',
    );
    net.dispose();
  });

  it('resumes from a checkpoint exactly: the same losses as an uninterrupted run', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hurricane-train-'));
    const straight: number[] = [];
    const a = new Supernet(
      tiny,
      4,
      layerContexts(tiny).map(() => OPS),
    );
    await trainNetwork(a, data, { ...options, steps: 8, onStep: (s) => straight.push(s.loss) });
    a.dispose();

    const file = path.join(dir, 'ck.safetensors');
    const resumed: number[] = [];
    const controller = new AbortController();
    const b = new Supernet(
      tiny,
      4,
      layerContexts(tiny).map(() => OPS),
    );
    const stopped = await trainNetwork(b, data, {
      ...options,
      steps: 8,
      checkpointFile: file,
      signal: controller.signal,
      onStep: (s) => {
        resumed.push(s.loss);
        if (s.step === 5) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(HurricaneError);
    expect((stopped as Error).message).toBe('training stopped at step 5; the checkpoint is saved, run again to resume');
    b.dispose();
    const c = new Supernet(
      tiny,
      4,
      layerContexts(tiny).map(() => OPS),
    );
    const r = await trainNetwork(c, data, { ...options, steps: 8, checkpointFile: file, onStep: (s) => resumed.push(s.loss) });
    expect(r.resumedFrom).toBe(5);
    expect(resumed).toEqual(straight);
    c.dispose();
  }, 120_000);

  it('trains exactly the paths its sampler draws, from its own checkpointed generator', async () => {
    const net = new Supernet(
      tiny,
      5,
      layerContexts(tiny).map(() => OPS),
    );
    // a sampler that fixes layers 0, 1 and never puts SEP_3 in layer 3 (what the search's budget sampler does)
    const sampler = (rng: Rng) =>
      layerContexts(tiny).map((_, l) => {
        if (l < 2) return 'MB_3_1';
        const ops = l === 3 ? OPS.filter((op) => op !== 'SEP_3') : OPS;
        return ops[rng.int(0, ops.length - 1)] as string;
      });
    const drawn: string[][] = [];
    const replay = new Rng(hash32(`${options.seed}:paths`));
    const archs: string[][] = [];
    await trainNetwork(net, data, {
      ...options,
      steps: 6,
      samplePath: (rng) => {
        const a = sampler(rng);
        drawn.push(a);
        return a;
      },
      onStep: (s) => archs.push([...s.arch]),
    });
    expect(archs).toEqual(drawn);
    // the trainer hands the sampler its path generator, seeded from the run's seed
    expect(drawn).toEqual(Array.from({ length: 6 }, () => sampler(replay)));
    for (const a of archs) {
      expect([a[0], a[1]]).toEqual(['MB_3_1', 'MB_3_1']);
      expect(a[3]).not.toBe('SEP_3');
    }
    net.dispose();
  }, 120_000);

  it('with some layers fixed by the sampler, trains the fixed operators and the sampled candidates, and leaves unsampled candidates as they were', async () => {
    const net = new Supernet(
      tiny,
      5,
      layerContexts(tiny).map(() => OPS),
    );
    const weightsOf = (prefix: string) =>
      net.store
        .names()
        .filter((name) => name.startsWith(prefix) && net.store.spec(name).trainable)
        .map((name) => net.store.onnxValues(name));
    const before = new Map(net.store.names().map((name) => [name, net.store.onnxValues(name)]));
    const changed = (prefix: string) => {
      const names = net.store.names().filter((name) => name.startsWith(prefix) && net.store.spec(name).trainable);
      expect(names.length, prefix).toBeGreaterThan(0);
      return names.some((name) => !(before.get(name) as Float32Array).every((v, i) => v === net.store.onnxValues(name)[i]));
    };
    const archs: string[][] = [];
    await trainNetwork(net, data, {
      ...options,
      steps: 3,
      samplePath: (rng) => Array.from({ length: n }, (_, l) => (l === 2 ? (OPS[rng.int(0, OPS.length - 1)] as string) : 'MB_3_1')),
      onStep: (s) => archs.push([...s.arch]),
    });
    expect(weightsOf('layers.0.').length).toBeGreaterThan(0);
    // A fixed layer's operator is on every path: it trains. Its other candidates never run.
    expect(changed('layers.0.MB_3_1.')).toBe(true);
    expect(changed('layers.0.Choice_3.')).toBe(false);
    expect(changed('layers.0.SEP_3.')).toBe(false);
    // The active layer: exactly the candidates that were sampled changed.
    const sampled = new Set(archs.map((a) => a[2]));
    for (const op of OPS) expect(changed(`layers.2.${op}.`), `layers.2.${op}`).toBe(sampled.has(op));
    // Stem and head are on every path.
    expect(changed('stem.')).toBe(true);
    net.dispose();
  }, 120_000);

  it('stops at a loss target and refuses data that does not fit the backbone', async () => {
    const net = new Supernet(
      tiny,
      6,
      layerContexts(tiny).map(() => OPS),
    );
    const r = await trainNetwork(net, data, { ...options, steps: 200, lossTarget: 10 });
    expect(r).toMatchObject({ steps: 1, stoppedBy: 'loss-target' });
    await expect(trainNetwork(net, { ...data, inputShape: [3, 8, 8] }, options)).rejects.toThrow(
      "the data's images are 8x8x3 but the 'tiny' backbone expects 8x8x1; pick the preset that matches the dataset",
    );
    net.dispose();
  });
});

describe('the cool-down after a loss target', () => {
  // the loss EMA of the separable data passes 1.0 within the first steps of 40 (lr 0.05)
  const run = async (o: { signal?: AbortSignal; checkpointFile?: string; stopAt?: number }, steps: StepInfo[]) => {
    const net = new Supernet(
      tiny,
      7,
      layerContexts(tiny).map(() => ['MB_3_1']),
    );
    const controller = new AbortController();
    try {
      return await trainNetwork(net, data, {
        ...options,
        steps: 40,
        lossTarget: 1.0,
        coolDown: 0.5,
        ...(o.checkpointFile ? { checkpointFile: o.checkpointFile, checkpointEvery: 1 } : {}),
        signal: controller.signal,
        onStep: (s) => {
          steps.push(s);
          if (s.step === o.stopAt) controller.abort();
        },
      });
    } finally {
      net.dispose();
    }
  };

  it('keeps training for round(coolDown·s) steps after the target is reached at step s, the rate falling linearly from its value there, by hand', async () => {
    const steps: StepInfo[] = [];
    const r = await run({}, steps);
    const s = steps.findIndex((x) => x.lossEma <= 1.0) + 1; // steps done when the EMA first met the target
    expect(s).toBeGreaterThan(1);
    const cool = Math.max(1, Math.round(0.5 * s));
    expect(r).toMatchObject({ steps: s + cool, stoppedBy: 'loss-target' });
    const from = 0.05 * (1 - s / 40); // the schedule's rate at step s
    steps.forEach((x, k) => {
      const hand = k < s ? 0.05 * (1 - k / 40) : from * (1 - (k - s) / cool);
      expect(x.lr, `step ${k}`).toBeCloseTo(hand, 12);
    });
  }, 120_000);

  it('a run killed during the cool-down resumes it exactly: the same losses and rates as an uninterrupted run', async () => {
    const straight: StepInfo[] = [];
    await run({}, straight);
    const s = straight.findIndex((x) => x.lossEma <= 1.0) + 1;
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hurricane-cool-')), 'ck.safetensors');
    const resumed: StepInfo[] = [];
    await expect(run({ checkpointFile: file, stopAt: s + 1 }, resumed)).rejects.toThrow(`training stopped at step ${s + 1}`);
    const r = await run({ checkpointFile: file }, resumed);
    expect(r.resumedFrom).toBe(s + 1);
    expect(resumed.map((x) => [x.loss, x.lr])).toEqual(straight.map((x) => [x.loss, x.lr]));
  }, 120_000);
});

describe('schedules and sampling', () => {
  it('decays linearly and by cosine to 0', () => {
    expect([0, 50, 100].map((s) => learningRate('linear', 0.1, s, 100))).toEqual([0.1, 0.05, 0]);
    expect(learningRate('cosine', 0.4, 50, 100)).toBeCloseTo(0.2, 12);
    expect(learningRate('cosine', 0.4, 100, 100)).toBeCloseTo(0, 12);
  });
  it('visits every example once per epoch, in a seeded order, as a pure function of the step', () => {
    const s = new BatchSampler(10, 3, 1);
    const epoch0 = [0, 1, 2].flatMap((i) => s.indices(i));
    expect(new Set(epoch0).size).toBe(9);
    expect(new BatchSampler(10, 3, 1).indices(4)).toEqual(s.indices(4));
    expect(s.indices(3)).not.toEqual(s.indices(0));
    expect(() => new BatchSampler(2, 3, 1)).toThrow('batch size 3 must be between 1 and the 2 training examples');
  });
});
