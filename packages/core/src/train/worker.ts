// A data-parallel training worker (worker_threads): a replica of the network on its own TF.js
// engine. Each step it takes the path's current parameters and a shard of the batch, and answers
// with the shard's loss, gradients and updated BatchNorm running statistics. See parallel.ts.
import { parentPort, workerData } from 'node:worker_threads';
import type { Backbone } from '../space/backbone.js';
import { type EngineName, selectEngine } from '../engine/select-engine.js';
import { SpaceNetwork } from '../engine/network.js';
import { tf } from '../engine/tf.js';
import { pathGradients } from './gradients.js';
import type { StepReply, StepRequest, WorkerInit } from './parallel.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('the training worker runs only as a worker thread');
await selectEngine(init.engine as EngineName);
const net = new SpaceNetwork(init.backbone as Backbone, init.candidates, init.seed);
const values = (t: tf.Tensor) => (t.dataSync() as Float32Array).slice();

function step(req: StepRequest): StepReply {
  for (const [name, v] of Object.entries(req.params)) {
    const variable = net.store.get(name);
    tf.tidy(() => variable.assign(tf.tensor(v, variable.shape)));
  }
  const [h, w, c] = req.imageShape;
  // Filled inside tidy but not returned from it: tidy walks a returned value element by element.
  let reply: StepReply | null = null;
  tf.tidy(() => {
    const { loss, grads } = pathGradients(
      net,
      req.arch,
      tf.tensor4d(req.x, [req.labels.length, h, w, c]),
      tf.tensor1d(req.labels, 'int32'),
      req.numClasses,
      req.labelSmoothing,
      req.dropoutSeed,
    );
    const g: Record<string, Float32Array> = {};
    for (const [name, t] of grads) g[name] = values(t);
    const stats: Record<string, Float32Array> = {};
    for (const name of req.statistics) stats[name] = values(net.store.get(name));
    reply = { loss: loss.dataSync()[0] as number, grads: g, statistics: stats };
  });
  return reply as unknown as StepReply;
}

port.on('message', (req: StepRequest) => {
  try {
    const reply = step(req);
    const transfer = [...Object.values(reply.grads), ...Object.values(reply.statistics)].map((a) => a.buffer as ArrayBuffer);
    port.postMessage({ ok: true, reply }, transfer);
  } catch (error) {
    port.postMessage({ ok: false, message: (error as Error).message });
  }
});
port.postMessage({ ready: true });
