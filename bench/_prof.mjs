import 'reflect-metadata';
import { PRESETS, Rng, StandaloneNetwork, selectEngine } from '@hurricane/core';
import * as tf from '@tensorflow/tfjs';
const B = Number(process.argv[2] ?? 32);
await selectEngine('wasm');
const backbone = PRESETS.cifar();
const arch = Array(20).fill('MB_3_3');
const net = new StandaloneNetwork(backbone, arch, 1);
const [C,H,W] = backbone.input;
const rng = new Rng(0);
const x = tf.tensor4d(Float32Array.from({length:B*H*W*C},()=>rng.next()), [B,H,W,C]);
const y = tf.oneHot(tf.tensor1d(Int32Array.from({length:B},()=>rng.int(0,9)),'int32'),10);
const step = () => tf.tidy(() => {
  const vars = net.trainableVariables(arch);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, net.forward(x, arch, {training:true}), undefined, 0.1), vars);
  return value.dataSync()[0];
});
step(); step();
let t0 = performance.now();
for (let i=0;i<3;i++) step();
console.log('step ms', (performance.now()-t0)/3, 'img/s', 3*B/((performance.now()-t0)/1000));
const prof = await tf.profile(() => { step(); });
const agg = new Map();
for (const k of prof.kernels) { const key = k.name; const a = agg.get(key) ?? {ms:0,n:0}; a.ms += (await k.kernelTimeMs); a.n++; agg.set(key,a); }
const tot = [...agg.values()].reduce((s,a)=>s+a.ms,0);
console.log('total kernel ms', tot.toFixed(0), 'peak bytes', prof.peakBytes/2**20|0, 'MiB');
for (const [k,a] of [...agg].sort((a,b)=>b[1].ms-a[1].ms).slice(0,25)) console.log(k.padEnd(30), a.ms.toFixed(1).padStart(8), a.n);
