import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
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
  AdbSession,
  SshSession,
  batchStatuses,
  keepToolLog,
  ToolError,
  checkAdbDevice,
  findExecutable,
  shellQuote,
  summarizeSamples,
  withDeviceLock,
} from '@hurricane/core/adapter-kit';
import type { ArmCpuOptions } from './options.js';
import { buildPerfTestArgs, parsePerfTest } from './perf-test.js';

type Remote = NonNullable<ArmCpuOptions['remote']>;

const TOOL_FIX = (p: string, transport: 'adb' | 'ssh') =>
  transport === 'adb'
    ? `build ONNX Runtime's perf tool for Android (./build.sh --android --android_abi arm64-v8a --build_shared_lib, target onnxruntime_perf_test) and 'adb push' it to ${p}, or set 'armCpu.remote.perfTest'`
    : `build onnxruntime_perf_test on the board (./build.sh --config Release --build_shared_lib in an onnxruntime checkout) and copy it to ${p}, or set 'armCpu.remote.perfTest'`;

/** adb and ssh sessions offer the same verbs. */
type Session = AdbSession | SshSession;

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
  ) {}

  private get remote(): Remote {
    return (
      this.options.remote ?? {
        transport: 'adb',
        adb: 'adb',
        ssh: 'ssh',
        scp: 'scp',
        port: 22,
        perfTest: '/data/local/tmp/onnxruntime_perf_test',
        remoteDir: '/data/local/tmp/hurricane-ort',
        repetitions: 100,
        rounds: 3,
        toolTimeoutMs: 120_000,
        adbRetries: 2,
      }
    );
  }

  /**
   * A session to the board — adb (an authorized device, the configured or only serial) or ssh — and
   * what it is; `check` says what is wrong when there is no session.
   */
  private async connect(logDir: string, signal?: AbortSignal): Promise<{ session: Session | null; check: HealthCheck; name: string }> {
    const r = this.remote;
    const common = {
      env: this.env,
      timeoutMs: r.toolTimeoutMs,
      retries: r.adbRetries,
      ...(signal ? { signal } : {}),
      onResult: (step: string, res: ToolResult) => keepToolLog(logDir, `${r.transport}-${step.replaceAll(' ', '-')}`, res),
    };
    if (r.transport === 'ssh') {
      const ssh = await findExecutable(r.ssh, { env: this.env });
      const scp = await findExecutable(r.scp, { env: this.env });
      if (!ssh || !scp) {
        return {
          session: null,
          name: 'unknown',
          check: {
            name: 'board (ssh)',
            status: 'missing',
            detail: `${ssh ? r.scp : r.ssh} not found`,
            fix: "install OpenSSH's client (Debian: 'apt-get install openssh-client')",
          },
        };
      }
      const session = new SshSession(
        this.runner,
        { host: r.host ?? '', user: r.user, port: r.port, identityFile: r.identityFile, ssh, scp },
        common,
      );
      try {
        const who = await session.shell('identify', 'uname -srm; echo __RC__=$?');
        const name = `${who.stdout.split('\n')[0]?.trim() || 'Linux board'} (${session.serial})`;
        return { session, name, check: { name: 'board (ssh)', status: 'ok', detail: name } };
      } catch (error) {
        return {
          session: null,
          name: 'unknown',
          check: {
            name: 'board (ssh)',
            status: 'error',
            detail: (error as Error).message,
            fix: `ssh ${session.serial.replace(/:\d+$/, '')} must work without a password (ssh-copy-id)`,
          },
        };
      }
    }
    const adb = await findExecutable(r.adb, { env: this.env });
    if (!adb)
      return {
        session: null,
        name: 'unknown',
        check: {
          name: 'device (adb)',
          status: 'missing',
          detail: 'adb not found',
          fix: "install Android platform-tools (Debian: 'apt-get install adb') or set 'armCpu.remote.adb'",
        },
      };
    const found = await checkAdbDevice(this.runner, adb, {
      env: this.env,
      serial: r.serial,
      serialKey: 'armCpu.remote.serial',
      timeoutMs: r.toolTimeoutMs,
    });
    if (!found.device || found.check.status !== 'ok') return { session: null, name: 'unknown', check: found.check };
    const name = `${found.device.properties.model ?? found.device.serial} (${found.device.serial})`;
    return { session: new AdbSession(this.runner, adb, found.device.serial, common), name, check: found.check };
  }

  /** The tool's identity on the board: SHA-256 of the binary (onnxruntime_perf_test prints no version). */
  private async toolHash(s: Session): Promise<string | null> {
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
    return this.remote.logDir ?? path.join('.hurricane', 'arm-cpu-remote');
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
    return { adapterId: this.id, ready: checks.every((x) => x.status === 'ok' || x.status === 'warn'), checks };
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

  async measureBatch(models: readonly PreparedModel[], options: MeasureOptions = {}): Promise<LatencyMeasurement[]> {
    for (const p of models)
      if (p.adapterId !== this.id) throw new ToolError([], `${this.id} cannot measure a model prepared by ${p.adapterId}`);
    if (models.length === 0) return [];
    const logDir = path.join(path.dirname((models[0] as PreparedModel).artifactPath), 'arm-cpu-remote-logs');
    const c = await this.connect(logDir, options.signal);
    const s = c.session;
    if (!s) throw new ToolError([], `${this.id}: ${c.check.detail}${c.check.fix ? ` (${c.check.fix})` : ''}`);
    const serial = s.serial;
    const samples = await withDeviceLock(this.env, `${this.remote.transport}-${serial}`, () => this.onDevice(s, models));
    const hash = await this.toolHash(s);
    const timestamp = new Date().toISOString();
    return models.map((_p, i) => {
      const rounds = samples[i] as { p50: number; runs: number }[];
      const samplesMs = rounds.map((r) => r.p50);
      return {
        samplesMs,
        ...summarizeSamples(samplesMs),
        runs: rounds.reduce((a, r) => a + r.runs, 0),
        provenance: {
          adapterId: this.id,
          device: c.name,
          deviceFingerprint: `${serial}|threads=${this.options.threads}`,
          runtime: 'ONNX Runtime (onnxruntime_perf_test)',
          runtimeVersion: hash ? `perf_test sha256:${hash}` : 'unknown',
          commands: [...s.commands],
          timestamp,
          settings: {
            threads: this.options.threads,
            repetitions: this.remote.repetitions,
            rounds: this.remote.rounds,
            serial,
            batch: models.length,
          },
        },
      };
    });
  }

  /** One push, one shell (every model × round, rounds outermost), one pull; P50 of each run in ms. */
  private async onDevice(s: Session, models: readonly PreparedModel[]): Promise<{ p50: number; runs: number }[][]> {
    const r = this.remote;
    const runDir = `${r.remoteDir}/runs/${process.pid}-${Date.now()}`;
    const staging = mkdtempSync(path.join(path.dirname((models[0] as PreparedModel).artifactPath), '.ort-batch-'));
    try {
      const up = path.join(staging, 'up');
      mkdirSync(up, { recursive: true });
      for (const [i, p] of models.entries()) cpSync(p.artifactPath, path.join(up, `m${i}.onnx`));
      await s.shell('make run folder', `mkdir -p ${shellQuote(runDir)}; echo __RC__=$?`);
      await s.push(`${up}/.`, runDir);
      const runs: string[] = [];
      for (let k = 1; k <= r.rounds; k++) {
        models.forEach((_, i) => {
          const args = buildPerfTestArgs({ model: `m${i}.onnx`, repetitions: r.repetitions, threads: this.options.threads });
          runs.push(`${shellQuote(r.perfTest)} ${args.map(shellQuote).join(' ')} > out_m${i}_r${k}.txt 2>&1; echo __RC_m${i}_r${k}__=$?`);
        });
      }
      const shell = await s.shell('perf test batch', `cd ${shellQuote(runDir)} && ${runs.join('; ')}`);
      const statuses = batchStatuses(shell.stdout);
      const down = path.join(staging, 'down');
      await s.pull(`${runDir}/.`, down);
      return models.map((p, i) =>
        Array.from({ length: r.rounds }, (_, j) => {
          const tag = `m${i}_r${j + 1}`;
          const file = path.join(down, `out_${tag}.txt`);
          const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
          if (statuses.get(tag) !== 0) {
            const said = text
              .split('\n')
              .filter((l) => l.trim())
              .slice(-2)
              .join(' | ');
            throw new ToolError(
              shell.command,
              `onnxruntime_perf_test failed on ${s.serial} for ${path.basename(p.artifactPath)} (exit ${statuses.get(tag) ?? 'unknown'}): ${said || 'no output'}`,
            );
          }
          try {
            const res = parsePerfTest(text);
            return { p50: res.p50Ms ?? res.averageMs, runs: res.runs ?? r.repetitions };
          } catch (error) {
            throw new ToolError(shell.command, (error as Error).message);
          }
        }),
      );
    } finally {
      await s.shell('clean up', `rm -rf ${shellQuote(runDir)}; echo __RC__=$?`).catch(() => undefined);
      rmSync(staging, { recursive: true, force: true });
    }
  }
}
