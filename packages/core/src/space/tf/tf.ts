// The one place core imports TF.js: tfjs-core with the plain cpu backend registered. Faster
// engines (native, WebAssembly) are chosen at run time by the engine selection.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

// Production mode: skips TF.js debug checks and its console banners (Hurricane reports the engine itself).
tf.enableProdMode();

export { tf };

/** Makes sure a TF.js backend is ready (the cpu backend unless another one was set). */
export async function ensureBackend(): Promise<string> {
  await tf.ready();
  return tf.getBackend();
}
