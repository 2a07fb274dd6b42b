import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { HurricaneError } from '@hurricane/core/adapter-kit';

/** How long loading and running one untrusted model once may take in the probe. */
const PROBE_TIMEOUT_MS = 60_000;

/**
 * The probe process: loads ONNX Runtime once (argv: its module URL), then for each line
 * `{"file", "shape"}` on stdin loads that model, runs it once on zeros and answers `ok` or
 * `{"error"}` on stdout. A model that crashes ONNX Runtime kills this process, not the agent.
 */
const PROBE_SERVER = `import { createInterface } from 'node:readline';
const mod = await import(process.argv[1]); const ort = mod.InferenceSession ? mod : mod.default;
for await (const line of createInterface({ input: process.stdin })) {
  const { file, shape } = JSON.parse(line);
  try {
    const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const n = shape.reduce((a, b) => a * b, 1);
    await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', new Float32Array(n), shape) });
    await s.release?.();
    process.stdout.write('ok\\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e?.message ?? e).split('\\n')[0].slice(0, 200) }) + '\\n');
  }
}`;

type Answer = { ok: true } | { ok: false; why: string };

/**
 * Checks models from another host in a long-lived child Node process before this process loads
 * them, so a model that crashes ONNX Runtime (a crafted farm job) kills only the child and is
 * refused with one line, instead of crashing every agent that takes the job. The child loads
 * ONNX Runtime once and is started again after a crash; one model is checked at a time.
 */
export class ModelProbe {
  private child: ChildProcess | undefined;
  private waiting: ((a: Answer) => void) | undefined;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly runtimeModule: string) {}

  /** Resolves when `file` loads and runs once in the child; a {@link HurricaneError} naming why otherwise. */
  check(file: string, inputShape: readonly number[]): Promise<void> {
    const mine = this.turn.then(() => this.ask(file, inputShape));
    this.turn = mine.catch(() => {});
    return mine;
  }

  /** Stops the child (the adapter's owner calls it when done; an exiting agent stops it by closing its stdin). */
  close(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  private async ask(file: string, inputShape: readonly number[]): Promise<void> {
    const child = this.child ?? this.start();
    const answer = await new Promise<Answer>((resolve) => {
      const timer = setTimeout(() => {
        this.close();
        resolve({ ok: false, why: `it did not load and run within ${PROBE_TIMEOUT_MS / 1000} s` });
      }, PROBE_TIMEOUT_MS);
      this.waiting = (a) => {
        clearTimeout(timer);
        resolve(a);
      };
      child.stdin?.write(`${JSON.stringify({ file, shape: inputShape })}\n`);
    });
    this.waiting = undefined;
    if (!answer.ok)
      throw new HurricaneError(
        `arm-cpu: model ${file} is refused: ${answer.why}; checked in a child process because it came from another host`,
      );
  }

  private start(): ChildProcess {
    let url: string;
    try {
      url = import.meta.resolve(this.runtimeModule);
    } catch {
      url = this.runtimeModule;
    }
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE_SERVER, url], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr = `${stderr}${d}`.slice(-4000);
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line === 'ok') this.waiting?.({ ok: true });
      else this.waiting?.({ ok: false, why: `ONNX Runtime refused it (${errorOf(line)})` });
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const why = signal ? `ONNX Runtime crashed on it (${signal})` : `the probe process ended (exit ${code}: ${lastLine(stderr)})`;
      this.waiting?.({ ok: false, why });
    });
    child.stdin?.on('error', () => {}); // a child that died: its exit answers
    // the agent's life is its own: the probe never keeps it running
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
    this.child = child;
    return child;
  }
}

function errorOf(line: string): string {
  try {
    return String((JSON.parse(line) as { error?: unknown }).error ?? line).slice(0, 200);
  } catch {
    return line.slice(0, 200);
  }
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at '));
  return (lines.find((l) => /Error/.test(l)) ?? lines.at(-1) ?? 'no output').slice(0, 200);
}
