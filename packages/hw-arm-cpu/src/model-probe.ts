import { execFile } from 'node:child_process';
import { HurricaneError } from '@hurricane/core/adapter-kit';

/** How long loading and running an untrusted model once may take in the probe. */
const PROBE_TIMEOUT_MS = 60_000;

/**
 * The probe a child Node process runs: load the model with ONNX Runtime and run it once on zeros.
 * argv: the runtime module's URL, the model file, the input shape as JSON.
 */
const PROBE = `const [url, file, shape] = process.argv.slice(1);
const mod = await import(url); const ort = mod.InferenceSession ? mod : mod.default;
const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const dims = JSON.parse(shape); const n = dims.reduce((a, b) => a * b, 1);
await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', new Float32Array(n), dims) });
await s.release?.(); process.stdout.write('probe ok');`;

/**
 * Loads and runs `file` once in a child process before this process touches it, so a model that
 * crashes ONNX Runtime (a crafted farm job) kills only the child, and is refused with one line
 * instead of crashing every agent that takes the job.
 */
export async function probeModel(runtimeModule: string, file: string, inputShape: readonly number[]): Promise<void> {
  let url: string;
  try {
    url = import.meta.resolve(runtimeModule);
  } catch {
    url = runtimeModule;
  }
  const argv = ['--input-type=module', '-e', PROBE, url, file, JSON.stringify(inputShape)];
  const outcome = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean }>(
    (resolve) => {
      const child = execFile(
        process.execPath,
        argv,
        { timeout: PROBE_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 2 ** 20, env: { PATH: process.env.PATH ?? '' } },
        (error, stdout, stderr) => {
          const e = error as (Error & { code?: number | string; killed?: boolean }) | null;
          resolve({
            code: child.exitCode,
            signal: child.signalCode,
            stdout: String(stdout),
            stderr: String(stderr),
            timedOut: Boolean(e?.killed && child.signalCode === 'SIGKILL'),
          });
        },
      );
    },
  );
  if (outcome.code === 0 && outcome.stdout.endsWith('probe ok')) return;
  const why = outcome.timedOut
    ? `it did not load and run within ${PROBE_TIMEOUT_MS / 1000} s`
    : outcome.signal
      ? `ONNX Runtime crashed on it (${outcome.signal})`
      : `ONNX Runtime refused it (${lastLine(outcome.stderr) || `exit ${outcome.code}`})`;
  throw new HurricaneError(`arm-cpu: model ${file} is refused: ${why}; checked in a child process because it came from another host`);
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at '));
  return (lines.find((l) => /Error/.test(l)) ?? lines.at(-1) ?? '').slice(0, 200);
}
