import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type {
  Environment,
  HardwareAdapter,
  HardwareDescription,
  HealthCheck,
  HealthReport,
  LatencyMeasurement,
  MeasureOptions,
  OnnxModel,
  PreparedModel,
  ToolResult,
  ToolRunner,
} from '@hurricane/core/plugin';
import {
  type BatchRun,
  type Connection,
  type RemoteSession,
  SshSession,
  ToolError,
  assertPreparedBy,
  batchDir,
  connectAdb,
  findExecutable,
  healthReport,
  keepToolLog,
  measurementOf,
  outputExcerpt,
  runLockedBatch,
  sessionOf,
  shellQuote,
} from '@hurricane/core/adapter-kit';
import { type ArmCpuOptions, remoteDefaults } from './options.js';
import { buildPerfTestArgs, parsePerfTest } from './perf-test.js';

type Remote = NonNullable<ArmCpuOptions['remote']>;

const TOOL_FIX = (p: string, transport: 'adb' | 'ssh') =>
  transport === 'adb'
    ? `build ONNX Runtime's perf tool for Android (./build.sh --android --android_abi arm64-v8a --build_shared_lib, target onnxruntime_perf_test) and 'adb push' it to ${p}, or set 'armCpu.remote.perfTest'`
    : `build onnxruntime_perf_test on the board (./build.sh --config Release --build_shared_lib in an onnxruntime checkout) and copy it to ${p}, or set 'armCpu.remote.perfTest'`;

/**
 * `arm-cpu-remote`: an ARM board over adb, measured with ONNX Runtime's own `onnxruntime_perf_test`
 * installed there. A batch of models is one device round-trip (one push, one shell running every
 * model × round, one pull); each round's P50 latency is one sample. The board is locked across
 * processes while it measures.
 */
export class RemoteArmCpuAdapter implements HardwareAdapter {
  readonly id = 'arm-cpu-remote';
  readonly description = 'an ARM board over adb (Android) or ssh (Linux), measured with onnxruntime_perf_test on the board';

  constructor(
    private readonly options: ArmCpuOptions,
    private readonly runner: ToolRunner,
    private readonly env: Environment,
    /** The run's work folder: health-check logs go to `<workDir>/arm-cpu-remote` unless `remote.logDir` says otherwise. */
    private readonly workDir: string,
  ) {}

  private get remote(): Remote {
    return this.options.remote ?? remoteDefaults();
  }

  /**
   * A session to the board — adb (an authorized device, the configured or only serial) or ssh — and
   * what it is; `check` says what is wrong when there is no session.
   */
  private async connect(logDir: string, signal?: AbortSignal): Promise<Connection> {
    const r = this.remote;
    const onResult = (step: string, res: ToolResult) => keepToolLog(logDir, `${r.transport}-${step.replaceAll(' ', '-')}`, res);
    if (r.transport === 'ssh') return this.connectSsh(onResult, signal);
    return connectAdb(this.runner, {
      ...{ adb: r.adb, adbKey: 'armCpu.remote.adb', serial: r.serial, serialKey: 'armCpu.remote.serial' },
      ...{ env: this.env, timeoutMs: r.toolTimeoutMs, retries: r.adbRetries, signal, onResult },
    });
  }

  /** An ssh session to the board, named by its `uname -srm`. */
  private async connectSsh(onResult: (step: string, res: ToolResult) => void, signal?: AbortSignal): Promise<Connection> {
    const r = this.remote;
    const ssh = await findExecutable(r.ssh, { env: this.env });
    const scp = await findExecutable(r.scp, { env: this.env });
    const name = 'board (ssh)';
    if (!ssh || !scp) {
      const fix = "install OpenSSH's client (Debian: 'apt-get install openssh-client')";
      return { session: null, name: 'unknown', check: { name, status: 'missing', detail: `${ssh ? r.scp : r.ssh} not found`, fix } };
    }
    const target = { host: r.host ?? '', user: r.user, port: r.port, identityFile: r.identityFile, ssh, scp };
    const session = new SshSession(this.runner, target, {
      ...{ env: this.env, timeoutMs: r.toolTimeoutMs, retries: r.adbRetries, onResult },
      ...(signal ? { signal } : {}),
    });
    try {
      const who = await session.shell('identify', 'uname -srm; echo __RC__=$?');
      const board = `${who.stdout.split('\n')[0]?.trim() || 'Linux board'} (${session.serial})`;
      return { session, name: board, check: { name, status: 'ok', detail: board } };
    } catch (error) {
      const fix = `ssh ${session.serial.replace(/:\d+$/, '')} must work without a password (ssh-copy-id)`;
      return { session: null, name: 'unknown', check: { name, status: 'error', detail: (error as Error).message, fix } };
    }
  }

  /** The tool's identity on the board: SHA-256 of the binary (onnxruntime_perf_test prints no version). */
  private async toolHash(s: RemoteSession): Promise<string | null> {
    const r = await s.shell('tool hash', `sha256sum ${shellQuote(this.remote.perfTest)}; echo __RC__=$?`);
    return r.status === 0 ? (/^([0-9a-f]{64})/m.exec(r.stdout)?.[1]?.slice(0, 12) ?? null) : null;
  }

  async describe(): Promise<HardwareDescription> {
    const c = await this.connect(this.healthLogDir());
    const unknown = {
      adapterId: this.id,
      device: 'unknown',
      runtime: 'ONNX Runtime (onnxruntime_perf_test)',
      runtimeVersion: 'unknown',
      deviceFingerprint: 'unknown',
    };
    if (!c.session) return unknown;
    const hash = await this.toolHash(c.session).catch(() => null);
    return {
      ...unknown,
      device: c.name,
      runtimeVersion: hash ? `perf_test sha256:${hash}` : 'unknown',
      deviceFingerprint: `${c.session.serial}|threads=${this.options.threads}`,
    };
  }

  private healthLogDir(): string {
    return this.remote.logDir ?? path.join(this.workDir, 'arm-cpu-remote');
  }

  async healthCheck(): Promise<HealthReport> {
    const checks: HealthCheck[] = [];
    const c = await this.connect(this.healthLogDir());
    checks.push(c.check);
    if (c.session) {
      const hash = await this.toolHash(c.session).catch(() => null);
      checks.push(
        hash
          ? { name: 'onnxruntime_perf_test', status: 'ok', detail: `${this.remote.perfTest} on ${c.session.serial} (sha256 ${hash})` }
          : {
              name: 'onnxruntime_perf_test',
              status: 'missing',
              detail: `${this.remote.perfTest} is not on ${c.session.serial}`,
              fix: TOOL_FIX(this.remote.perfTest, this.remote.transport),
            },
      );
    }
    return healthReport(this.id, checks);
  }

  /** The ONNX model runs as it is: onnxruntime_perf_test reads ONNX. */
  async prepare(model: OnnxModel): Promise<PreparedModel> {
    if (!existsSync(model.path)) throw new ToolError([], `${this.id}: ${model.path} does not exist`);
    return { adapterId: this.id, source: model, artifactPath: model.path, format: 'onnx', commands: [] };
  }

  async measure(model: PreparedModel, options: MeasureOptions = {}): Promise<LatencyMeasurement> {
    const [m] = await this.measureBatch([model], options);
    return m as LatencyMeasurement;
  }

  /** One device round-trip for the batch (the adapter kit's remote batch); each round's P50 latency is one sample. */
  async measureBatch(models: readonly PreparedModel[], options: MeasureOptions = {}): Promise<LatencyMeasurement[]> {
    assertPreparedBy(this.id, models);
    if (models.length === 0) return [];
    const modelDir = path.dirname((models[0] as PreparedModel).artifactPath);
    const c = await this.connect(path.join(modelDir, 'arm-cpu-remote-logs'), options.signal);
    const s = sessionOf(this.id, c);
    const samples = await runLockedBatch(this.env, `${this.remote.transport}-${s.serial}`, s, this.batch(models, modelDir, s.serial));
    const hash = await this.toolHash(s);
    const timestamp = new Date().toISOString();
    const r = this.remote;
    return models.map((_p, i) => {
      const rounds = samples[i] as { p50: number; runs: number }[];
      return measurementOf(
        rounds.map((x) => x.p50),
        {
          ...{ adapterId: this.id, device: c.name, deviceFingerprint: `${s.serial}|threads=${this.options.threads}` },
          ...{ runtime: 'ONNX Runtime (onnxruntime_perf_test)', runtimeVersion: hash ? `perf_test sha256:${hash}` : 'unknown' },
          ...{ commands: [...s.commands], timestamp },
          settings: { threads: this.options.threads, repetitions: r.repetitions, rounds: r.rounds, serial: s.serial, batch: models.length },
        },
        { runs: rounds.reduce((a, x) => a + x.runs, 0) },
      );
    });
  }

  /** The vendor's parts of a remote batch: the models staged as `m<i>.onnx`, one perf-test run per model × round, its output parsed. */
  private batch(models: readonly PreparedModel[], modelDir: string, serial: string) {
    const r = this.remote;
    const runDir = batchDir(r.remoteDir);
    return {
      ...{ runDir, stagingParent: modelDir, models: models.length, rounds: r.rounds, makeRunDir: true, label: 'perf test batch' },
      stage: (up: string) => {
        for (const [i, p] of models.entries()) cpSync(p.artifactPath, path.join(up, `m${i}.onnx`));
      },
      script: (runs: readonly BatchRun[]) =>
        `cd ${shellQuote(runDir)} && ${runs
          .map((run) => {
            const args = buildPerfTestArgs({ model: `m${run.model}.onnx`, repetitions: r.repetitions, threads: this.options.threads });
            return `${shellQuote(r.perfTest)} ${args.map(shellQuote).join(' ')} > out_${run.tag}.txt 2>&1; echo __RC_${run.tag}__=$?`;
          })
          .join('; ')}`,
      read: (run: BatchRun, down: string, status: number | undefined, command: readonly string[]) => {
        const file = path.join(down, `out_${run.tag}.txt`);
        const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
        if (status !== 0) {
          throw new ToolError(
            command,
            `onnxruntime_perf_test failed on ${serial} for ${path.basename((models[run.model] as PreparedModel).artifactPath)} (exit ${status ?? 'unknown'}): ${outputExcerpt(text, { lines: 2 }) || 'no output'}`,
          );
        }
        try {
          const res = parsePerfTest(text);
          return { p50: res.p50Ms ?? res.averageMs, runs: res.runs ?? r.repetitions };
        } catch (error) {
          throw new ToolError(command, (error as Error).message);
        }
      },
    };
  }
}
