import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HurricaneError } from '../errors.js';
import type { Architecture } from '../space/architecture.js';
import type { Backbone } from '../space/backbone.js';

/** What a training worker is started with. */
export interface WorkerInit {
  readonly backbone: Backbone;
  readonly candidates: readonly (readonly string[])[];
  readonly seed: number;
  /** The TF.js engine the main thread chose (each worker loads its own). */
  readonly engine: string;
}

/** One shard of one training step. */
export interface StepRequest {
  readonly arch: Architecture;
  /** Current values of the path's parameters (trainable and BatchNorm statistics), TF.js layout. */
  readonly params: Record<string, Float32Array>;
  /** Names of the path's BatchNorm running statistics (returned after the step). */
  readonly statistics: readonly string[];
  /** The shard's images, NHWC. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly imageShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly labelSmoothing: number;
  readonly dropoutSeed: number;
}

/** A worker's answer for its shard. */
export interface StepReply {
  readonly loss: number;
  readonly grads: Record<string, Float32Array>;
  readonly statistics: Record<string, Float32Array>;
}

/** The workers' loss and gradients averaged (weighted by shard size), and their running statistics averaged. */
export function averageReplies(
  replies: readonly StepReply[],
  bounds: readonly number[],
): { loss: number; grads: Map<string, Float32Array>; statistics: Map<string, Float32Array> } {
  const n = (bounds.at(-1) as number) - (bounds[0] as number);
  const mean = (pick: (r: StepReply) => Record<string, Float32Array>, weight: (k: number) => number) => {
    const out = new Map<string, Float32Array>();
    for (const name of Object.keys(pick(replies[0] as StepReply))) {
      const avg = new Float32Array((pick(replies[0] as StepReply)[name] as Float32Array).length);
      for (const [k, r] of replies.entries()) {
        const g = pick(r)[name] as Float32Array;
        const wk = weight(k);
        for (let i = 0; i < avg.length; i++) avg[i] = (avg[i] as number) + wk * (g[i] as number);
      }
      out.set(name, avg);
    }
    return out;
  };
  const share = (k: number) => ((bounds[k + 1] as number) - (bounds[k] as number)) / n;
  return {
    loss: replies.reduce((sum, r, k) => sum + r.loss * share(k), 0),
    grads: mean((r) => r.grads, share),
    statistics: mean(
      (r) => r.statistics,
      () => 1 / replies.length,
    ),
  };
}

type Message = { ready: true } | { ok: true; reply: unknown } | { ok: false; message: string };

/**
 * The worker script: `worker.js` beside this module when it runs compiled; when it runs from its
 * TypeScript source (the tests), `worker-from-source.mjs`, which runs `worker.ts` itself, so the
 * workers always run the same code as the main thread.
 */
function workerScript(): string {
  const self = fileURLToPath(import.meta.url);
  const file = self.endsWith('.ts')
    ? fileURLToPath(new URL('./worker-from-source.mjs', import.meta.url))
    : fileURLToPath(new URL('./worker.js', import.meta.url));
  if (!existsSync(file)) throw new HurricaneError(`the training worker ${file} is missing; build the packages with 'npm run build'`);
  return file;
}

/**
 * Data-parallel training workers (worker_threads): TF.js runs one backend per thread (the wasm
 * backend on one core), so W workers each take 1/W of every batch and the gradients are averaged.
 * BatchNorm normalises each shard with its own statistics (as PyTorch's DistributedDataParallel
 * without SyncBatchNorm); the running statistics are the workers' average.
 */
export class WorkerPool {
  private readonly workers: Worker[];
  private readonly ready: Promise<void>;

  private constructor(init: WorkerInit, count: number) {
    const script = workerScript();
    this.workers = Array.from({ length: count }, () => new Worker(script, { workerData: init }));
    this.ready = Promise.all(this.workers.map((w) => this.next(w))).then(() => undefined);
  }

  /** Starts `count` workers and waits until each has loaded its engine and network. */
  static async start(init: WorkerInit, count: number): Promise<WorkerPool> {
    const pool = new WorkerPool(init, count);
    try {
      await pool.ready;
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  private next(w: Worker): Promise<Message> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      const onMessage = (m: Message) => {
        cleanup();
        if ('ok' in m && !m.ok) reject(new HurricaneError(`training worker failed: ${m.message}`));
        else resolve(m);
      };
      const onError = (e: Error) => {
        cleanup();
        reject(new HurricaneError(`training worker crashed: ${e.message.split('\n')[0]}`));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new HurricaneError(`training worker exited with code ${code} (out of memory? try a smaller batch)`));
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
    });
  }

  /** Runs one shard on each worker (`requests.length` = pool size) and returns their replies in order. */
  async step(requests: readonly StepRequest[]): Promise<StepReply[]> {
    return Promise.all(
      requests.map(async (req, i) => {
        const w = this.workers[i] as Worker;
        const answer = this.next(w);
        w.postMessage(req, [req.x.buffer as ArrayBuffer, req.labels.buffer as ArrayBuffer]);
        return ((await answer) as { reply: StepReply }).reply;
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
