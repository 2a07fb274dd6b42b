// The one place core imports TF.js. The union package registers the plain cpu backend and every
// gradient (tfjs-core alone registers no gradients); faster engines (native, WebAssembly) are
// chosen at run time by the engine selection.
import * as tf from '@tensorflow/tfjs';

// Production mode: skips TF.js debug checks and its console banners (Hurricane reports the engine itself).
tf.enableProdMode();

export { tf };

/** Makes sure a TF.js backend is ready (the cpu backend unless another one was set). */
export async function ensureBackend(): Promise<string> {
  await tf.ready();
  return tf.getBackend();
}
