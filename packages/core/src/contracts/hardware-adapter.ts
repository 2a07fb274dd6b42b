import { token } from './token.js';

/** An ONNX model on disk, as Hurricane exports it (NCHW float32 input named `input`, output `output`). */
export interface OnnxModel {
  /** Absolute path of the `.onnx` file. */
  readonly path: string;
  /** Name of the single input tensor (Hurricane writes `input`). */
  readonly inputName: string;
  /** Static input shape, NCHW, e.g. `[1, 3, 224, 224]`. */
  readonly inputShape: readonly number[];
  /** Name of the single output tensor (Hurricane writes `output`). */
  readonly outputName: string;
}

/** A model converted for one target (e.g. a DLC for SNPE, an IR for OpenVINO), ready to measure. */
export interface PreparedModel {
  /** Id of the adapter that prepared it; only that adapter can measure it. */
  readonly adapterId: string;
  /** The ONNX model it came from. */
  readonly source: OnnxModel;
  /** Path of the artifact the vendor tool runs (may equal `source.path`). */
  readonly artifactPath: string;
  /** Format of the artifact, e.g. `onnx`, `dlc`, `openvino-ir`. */
  readonly format: string;
  /** The exact command lines that produced the artifact (argv arrays); empty when none ran. */
  readonly commands: readonly (readonly string[])[];
}

/** How a measurement should be taken. Every field is optional; adapters have sensible defaults. */
export interface MeasureOptions {
  /** Untimed runs before timing starts. */
  readonly warmupRuns?: number;
  /** Minimum number of timed samples. */
  readonly minRuns?: number;
  /** Maximum number of timed samples. */
  readonly maxRuns?: number;
  /**
   * At least this many sessions (independent loads) of each model, measured side by side, where the
   * adapter opens several (arm-cpu: a session has a speed of its own); adapters that load a model
   * once ignore it.
   */
  readonly minSessions?: number;
  /** Wall-clock limit for the whole measurement, in milliseconds. */
  readonly timeoutMs?: number;
  /** Aborts the measurement (the adapter kills any tool it started). */
  readonly signal?: AbortSignal;
}

/** Options of {@link HardwareAdapter.prepare}. */
export interface PrepareOptions {
  /** Folder for converted artifacts. */
  readonly workDir: string;
  /** Aborts a conversion in progress. */
  readonly signal?: AbortSignal;
  /**
   * The model came from another host (a farm job). An adapter that parses models in its own
   * process checks such a model in a child process first, so a crafted file cannot crash it.
   */
  readonly untrusted?: boolean;
}

/** Where a measurement came from: enough to reproduce it and to know when it no longer applies. */
export interface MeasurementProvenance {
  /** Adapter id, e.g. `snpe-dsp`. */
  readonly adapterId: string;
  /** Device description, e.g. `Galaxy S22 (SM8450) Hexagon V69` or the host CPU model. */
  readonly device: string;
  /** Stable identifier of the device (serial, CPU model + core count); part of latency-store keys. */
  readonly deviceFingerprint: string;
  /** Inference engine, e.g. `SNPE`, `OpenVINO`, `ONNX Runtime`. */
  readonly runtime: string;
  /** Engine version as the engine reports it. */
  readonly runtimeVersion: string;
  /** Every command line run for this measurement (argv arrays); empty for in-process runners. */
  readonly commands: readonly (readonly string[])[];
  /** ISO-8601 time the measurement finished. */
  readonly timestamp: string;
  /** Adapter-specific settings that affect the result (threads, perf profile, …). */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /** Set when a device-farm agent took the measurement: which agent, on which host (`hurricane agent`). */
  readonly agent?: {
    /** The agent's id, `<host>:<pid>` unless `farm.agentName` names it. */
    readonly id: string;
    /** Host name of the machine the device is attached to. */
    readonly host: string;
  };
}

/** Summary statistics of latency samples, as a {@link LatencyMeasurement} carries them. */
export interface SampleSummary {
  /** Median: the figure Hurricane ranks by. */
  readonly medianMs: number;
  /** Arithmetic mean. */
  readonly meanMs: number;
  /** 10th percentile. */
  readonly p10Ms: number;
  /** 90th percentile. */
  readonly p90Ms: number;
  /** Coefficient of variation (sample standard deviation ÷ mean). */
  readonly cov: number;
  /** Indices of samples flagged as outliers (reported, never dropped silently). */
  readonly outlierIndices: readonly number[];
}

/** The rounds of an interleaved measurement ({@link LatencyMeasurement.rounds}). */
export interface MeasurementRounds {
  /** Names the batch of models measured in the same rounds (unique per batch). */
  readonly batch: string;
  /** One value per round (ms), in round order: a low statistic of the round's per-call times (arm-cpu: the fastest; noise only adds time). */
  readonly ms: readonly number[];
  /**
   * When the adapter measured each model in several sessions side by side: per session, one value
   * per round (the same statistic as `ms`). `ms[i]` is the fastest of them. Lets a bootstrap see
   * how much the model's figure depends on which sessions it got (a fresh profile gets new ones).
   */
  readonly sessions?: readonly (readonly number[])[];
}

/** A latency measurement with its raw samples and their statistics. All times in milliseconds. */
export interface LatencyMeasurement extends SampleSummary {
  /** Every timed sample, in the order taken; the statistics are computed from these. */
  readonly samplesMs: readonly number[];
  /** Inference calls timed in all (a sample may time a group of calls). */
  readonly runs?: number;
  /** Half-width of an approximate 95 % interval of `medianMs`, from the spread between rounds. */
  readonly uncertaintyMs?: number;
  /** Wall time spent inside timed inference calls, for overhead accounting. */
  readonly timedMs?: number;
  /**
   * Per-round values (ms) when the model was measured in rounds interleaved with other models:
   * round `i` of every measurement with the same `batch` ran in the same round, so measurements of
   * one batch can be compared pairwise, round by round (drift and bursts of load cancel).
   */
  readonly rounds?: MeasurementRounds;
  /**
   * Layers that did not run on the processor measured (SNPE's CPU fallback on a DSP or GPU run):
   * the latency then describes a mix of processors, not the one the store keys it under.
   */
  readonly fallback?: MeasurementFallback;
  /** The conditions it ran under, where the platform exposes them (load, frequency, temperature). */
  readonly conditions?: MeasurementConditions;
  /** Where and how it was measured. */
  readonly provenance: MeasurementProvenance;
}

/**
 * The conditions of a measurement, read before and after it: what a bad session can be told from
 * a real difference by. A field is absent where the platform does not expose it (a VM has no
 * frequency or thermal files).
 */
export interface MeasurementConditions {
  /** Logical cores of the machine that measured. */
  readonly cores: number;
  /** 1-minute load average before and after (it includes the measurement's own threads). */
  readonly loadAverage: readonly [number, number];
  /** Frequency governor of the cores (`performance`, `schedutil`, …; several joined by `/`). */
  readonly governor?: string;
  /** Mean current frequency of the cores before and after, MHz. */
  readonly frequencyMHz?: readonly [number, number];
  /** Highest maximum frequency of the cores, MHz. */
  readonly maxFrequencyMHz?: number;
  /** Hottest thermal zone before and after, °C. */
  readonly temperatureC?: readonly [number, number];
  /**
   * Why the figure is suspect: `load` (other processes kept the cores busy), `throttled` (the
   * cores ran well below their maximum frequency). Empty when nothing was seen.
   */
  readonly flags: readonly ('load' | 'throttled')[];
}

/** What fell back, as the vendor's per-layer output named it. */
export interface MeasurementFallback {
  /** Where the layers ran instead, e.g. `CPU`. */
  readonly to: string;
  /** The layers as the tool prints them: `<index>: <name>`, or the index alone when it prints no name. */
  readonly layers: readonly string[];
}

/** The device and runtime an adapter targets, as far as it can tell right now. */
export interface HardwareDescription {
  /** Adapter id. */
  readonly adapterId: string;
  /** Human-readable device, or `unknown` when no device is reachable. */
  readonly device: string;
  /** Inference engine name. */
  readonly runtime: string;
  /** Engine version, or `unknown` when it cannot be read without a measurement. */
  readonly runtimeVersion: string;
  /** Stable identifier of the device and the settings that change its latencies (part of latency-store keys), or `unknown`. */
  readonly deviceFingerprint: string;
}

/** One check of a health report. */
export interface HealthCheck {
  /** What was checked, e.g. `adb`, `SNPE_ROOT`, `device`. */
  readonly name: string;
  /** `ok`; `warn` (works, but read `detail`); `missing` (not installed / not connected); `error` (present but broken). */
  readonly status: 'ok' | 'warn' | 'missing' | 'error';
  /** What was found: a path and version, or what is wrong. One line. */
  readonly detail: string;
  /** How to fix it, when status is not `ok`. One line, ideally a command. */
  readonly fix?: string;
}

/** The result of {@link HardwareAdapter.healthCheck}. */
export interface HealthReport {
  /** Adapter id. */
  readonly adapterId: string;
  /** True when every check is `ok` or `warn`: the adapter can measure now. */
  readonly ready: boolean;
  /** The checks in the order they ran. */
  readonly checks: readonly HealthCheck[];
}

/**
 * One target a latency can be measured on: a chip + inference engine pair (`snpe-dsp`,
 * `openvino`, `arm-cpu`, …). Adapters are registered by plugins under the {@link HardwareAdapter}
 * token and chosen by `id`.
 *
 * Constructing an adapter must be cheap and must not touch tools or devices: Hurricane builds
 * every registered adapter to list them.
 */
export interface HardwareAdapter {
  /** Unique id, lower-case kebab-case, used in configs and on the command line (`--hardware snpe-dsp`). */
  readonly id: string;
  /** One-line human description, e.g. `Qualcomm Hexagon DSP via SNPE`. */
  readonly description: string;
  /** Describes the device and runtime. Never throws for a missing tool or device: reports `unknown`. */
  describe(): Promise<HardwareDescription>;
  /** Checks tools, SDK environment and devices. Never throws for a missing tool: reports it with a fix. */
  healthCheck(): Promise<HealthReport>;
  /** Converts an ONNX model for this target (vendor converter, push to device, …). */
  prepare(model: OnnxModel, options?: PrepareOptions): Promise<PreparedModel>;
  /** Measures the latency of a prepared model on the device. */
  measure(model: PreparedModel, options?: MeasureOptions): Promise<LatencyMeasurement>;
  /**
   * Optional: measures several prepared models together, interleaving their rounds so that drift
   * of a noisy device affects all of them alike (better rankings). Results in the order given.
   * Profilers use it when present and fall back to {@link measure} one model at a time.
   */
  measureBatch?(models: readonly PreparedModel[], options?: MeasureOptions): Promise<LatencyMeasurement[]>;
  /**
   * Optional: measures many models, possibly at once on several devices (a device farm), and calls
   * `onResult` with each job's index as its measurement arrives, in any order, so the caller can
   * store it at once. `key` names the measurement (e.g. its latency-store key): the same key is the
   * same measurement, so a farm re-attaches to it after a restart instead of measuring it again,
   * while two keys are two measurements even of one model. `note` is a one-line progress note (jobs
   * in flight and queued, rate per device). Resolves when every job has a result; rejects, after
   * the others are done, when any failed. Profilers prefer it to {@link measureBatch}.
   */
  measureMany?(
    jobs: readonly { readonly model: PreparedModel; readonly key: string }[],
    onResult: (index: number, measurement: LatencyMeasurement, note: string) => void,
    options?: MeasureOptions,
  ): Promise<void>;
}

/** Injection token of {@link HardwareAdapter}; plugins register any number of adapters under it. */
export const HardwareAdapter = token<HardwareAdapter>('HardwareAdapter');
