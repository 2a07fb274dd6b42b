// `session/` — one run of Hurricane: the resolved config, the plugins registered into a child
// tsyringe container (`container.ts`, `tokens.ts`) with core's services (the execa tool runner,
// the stderr logger, Eq. 4 scoring), and the adapter, scorer and doctor look-ups (this file). May
// import `config/`, `plugin-loader/` and the contracts; the stages never import it.
import path from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import { resolveConfig, type ConfigOverrides, type ConfiguredPlugin, type ResolvedConfig } from '../config/resolve.js';
import { suggestion } from '../config/format-issues.js';
import type { CoreConfig } from '../config/schema.js';
import { createRunContainer } from './container.js';
import { ConfigError, PluginError, describeError } from '../errors.js';
import { StreamLogger } from './stderr-logger.js';
import { HardwareAdapter, type HealthReport } from '../contracts/hardware-adapter.js';
import type { Environment } from '../contracts/environment.js';
import type { Logger } from '../contracts/logger.js';
import { PredictorFactory } from '../contracts/predictor.js';
import { ScoringFunction } from '../contracts/scoring-function.js';
import type { ToolRunner } from '../contracts/tool-runner.js';
import { ExecaToolRunner } from './execa-tool-runner.js';
import { Environment as EnvironmentToken } from '../contracts/environment.js';
import { Logger as LoggerToken } from '../contracts/logger.js';
import { FarmAdapter } from '../farm/farm-adapter.js';

/** Options of {@link createSession}. */
export interface SessionOptions {
  /** Working directory the config is searched from (default: `process.cwd()`). */
  readonly cwd?: string;
  /** Explicit config file (`--config`). */
  readonly configPath?: string | undefined;
  /** Command-line settings that win over the file. */
  readonly overrides?: ConfigOverrides;
  /** Logger (default: plain lines on stderr at the config's `logLevel`). */
  readonly logger?: Logger;
  /** Tool runner (default: execa, process-tree kill on timeout). Tests inject fakes here. */
  readonly toolRunner?: ToolRunner;
  /** Environment variables adapters see (default: `process.env`). */
  readonly env?: Environment;
}

/** What `hurricane plugins` shows for one plugin. */
export interface PluginSummary {
  readonly name: string;
  readonly version: string | null;
  readonly spec: string;
  readonly file: string;
  readonly description: string | null;
  readonly configKey: string | null;
  readonly adapters: readonly { readonly id: string; readonly description: string }[];
  readonly scorers: readonly string[];
  readonly predictors: readonly string[];
}

/** The result of {@link HurricaneSession.doctor}. */
export interface DoctorReport {
  /** The adapter the config selects (`hardware`). */
  readonly selected: string;
  /** True when the selected adapter is ready to measure. */
  readonly selectedReady: boolean;
  /** One report per registered adapter, in registration order. */
  readonly reports: readonly HealthReport[];
}

function resolveAllOrNone<T>(c: DependencyContainer, t: symbol): T[] {
  return c.isRegistered(t, true) ? c.resolveAll<T>(t) : [];
}

/**
 * One run of Hurricane: a resolved config, the loaded plugins and a child DI container holding
 * core's and the plugins' services. Dispose it when done.
 */
export class HurricaneSession {
  private readonly adapterOwners = new Map<string, string>();
  private readonly scorerOwners = new Map<string, string>();
  private readonly predictorOwners = new Map<string, string>();

  private constructor(
    readonly config: ResolvedConfig,
    readonly container: DependencyContainer,
    /** The farm adapter of this run, shared with {@link withPreset}'s sessions and closed by {@link dispose}. */
    private readonly farm: { adapter?: FarmAdapter } = {},
  ) {}

  /** Creates the session: resolves the config, then registers each plugin into a fresh child container. */
  static async create(options: SessionOptions = {}): Promise<HurricaneSession> {
    const config = await resolveConfig({
      cwd: options.cwd ?? process.cwd(),
      configPath: options.configPath,
      overrides: options.overrides ?? {},
    });
    const logger = options.logger ?? new StreamLogger(config.core.logLevel);
    const container = createRunContainer(config, {
      logger,
      toolRunner: options.toolRunner ?? new ExecaToolRunner(),
      env: options.env ?? process.env,
    });
    const session = new HurricaneSession(config, container);
    for (const s of resolveAllOrNone<ScoringFunction>(container, ScoringFunction)) session.scorerOwners.set(s.name, '@hurricane/core');
    for (const plugin of config.plugins) await session.registerPlugin(plugin, logger);
    return session;
  }

  private async registerPlugin(p: ConfiguredPlugin, logger: Logger): Promise<void> {
    const before = {
      adapters: resolveAllOrNone<HardwareAdapter>(this.container, HardwareAdapter).length,
      scorers: resolveAllOrNone<ScoringFunction>(this.container, ScoringFunction).length,
      predictors: resolveAllOrNone<PredictorFactory>(this.container, PredictorFactory).length,
    };
    const where = p.plugin.configKey
      ? `check its options under '${p.plugin.configKey}' in ${this.config.filepath ?? 'your config'}`
      : 'check its installation';
    try {
      await p.plugin.register(this.container, {
        options: p.options,
        logger,
        rootDir: this.config.rootDir,
        workDir: this.config.workDir,
      });
    } catch (error) {
      throw new PluginError(
        p.spec,
        `plugin '${p.plugin.name}' failed while registering: ${describeError(error).split('\n')[0]}; ${where}, or report it to the plugin's author`,
        { cause: error },
      );
    }
    let adapters: HardwareAdapter[];
    try {
      adapters = resolveAllOrNone<HardwareAdapter>(this.container, HardwareAdapter);
    } catch (error) {
      throw new PluginError(
        p.spec,
        `plugin '${p.plugin.name}' registered an adapter that cannot be constructed: ${describeError(error).split('\n')[0]}; ${where}`,
        { cause: error },
      );
    }
    for (const a of adapters.slice(before.adapters)) this.claim(this.adapterOwners, 'adapter id', a.id, p);
    for (const s of resolveAllOrNone<ScoringFunction>(this.container, ScoringFunction).slice(before.scorers)) {
      this.claim(this.scorerOwners, 'scoring function', s.name, p);
    }
    for (const f of resolveAllOrNone<PredictorFactory>(this.container, PredictorFactory).slice(before.predictors)) {
      this.claim(this.predictorOwners, 'predictor', f.kind, p);
    }
  }

  private claim(map: Map<string, string>, what: string, id: string, p: ConfiguredPlugin): void {
    const other = map.get(id);
    if (other !== undefined) {
      throw new PluginError(
        p.spec,
        `${what} '${id}' is registered by both ${other} and ${p.plugin.name}; remove one of the two plugins from 'plugins'`,
      );
    }
    map.set(id, p.plugin.name);
  }

  /**
   * This session with another search-space preset (same plugins and container): `hurricane search`
   * runs every stage on the preset its dataset fits when the preset was left at its default.
   */
  withPreset(name: CoreConfig['preset']): HurricaneSession {
    if (name === this.config.core.preset) return this;
    const s = new HurricaneSession({ ...this.config, core: { ...this.config.core, preset: name } }, this.container, this.farm);
    for (const [from, to] of [
      [this.adapterOwners, s.adapterOwners],
      [this.scorerOwners, s.scorerOwners],
      [this.predictorOwners, s.predictorOwners],
    ] as const)
      for (const [k, v] of from) to.set(k, v);
    return s;
  }

  /** Every registered hardware adapter. */
  adapters(): HardwareAdapter[] {
    return resolveAllOrNone<HardwareAdapter>(this.container, HardwareAdapter);
  }

  /**
   * The command line of another `hurricane` command for this same run (its `--config`, `--preset`,
   * `--hardware`, … repeated), for hints such as "run 'hurricane profile --preset imagenet' first".
   */
  command(name: string, ...extra: string[]): string {
    return ['hurricane', name, ...this.config.commandLine, ...extra].join(' ');
  }

  /**
   * The adapter `id` (default: the config's `hardware`), or a {@link ConfigError} listing the
   * available ids. With `farm.url` set, the run's hardware is the device farm's {@link FarmAdapter}
   * (one per session, closed by {@link dispose}); this host then needs neither device nor plugin.
   */
  adapter(id: string = this.config.core.hardware): HardwareAdapter {
    const farm = this.config.core.farm;
    if (farm.url !== undefined && id === this.config.core.hardware) {
      // measured on the farm: the agents have the device and its plugin, this host needs neither
      const logger = this.container.resolve<Logger>(LoggerToken);
      this.farm.adapter ??= new FarmAdapter(id, {
        url: farm.url,
        farm,
        env: this.container.resolve<Environment>(EnvironmentToken) as NodeJS.ProcessEnv,
        log: (line) => logger.info(line),
        memoryFile: path.join(this.config.workDir, 'farm-devices.json'),
      });
      return this.farm.adapter;
    }
    const all = this.adapters();
    const found = all.find((a) => a.id === id);
    if (found) return found;
    const ids = all.map((a) => a.id);
    const source = this.config.sources.get('hardware');
    const from = source?.kind === 'flag' ? source.flag : source?.kind === 'file' ? `'hardware' in ${source.file}` : "'hardware'";
    throw new ConfigError(
      ids.length === 0
        ? `no hardware adapter is available (${from} asks for '${id}'): install one, e.g. 'npm install -D @hurricane/hw-arm-cpu'`
        : `hardware '${id}' (from ${from}) is not provided by any loaded plugin${suggestion(id, ids)}; available: ${ids.join(', ')}`,
    );
  }

  /** The scoring function `name` (default: the config's `scoring.name`). */
  scorer(name: string = this.config.core.scoring.name): ScoringFunction {
    const all = resolveAllOrNone<ScoringFunction>(this.container, ScoringFunction);
    const found = all.find((s) => s.name === name);
    if (found) return found;
    const names = all.map((s) => s.name);
    throw new ConfigError(`scoring function '${name}' is not registered${suggestion(name, names)}; available: ${names.join(', ')}`);
  }

  /** Every registered predictor factory (`@hurricane/predictors` and any plugin's). */
  predictorFactories(): PredictorFactory[] {
    return resolveAllOrNone<PredictorFactory>(this.container, PredictorFactory);
  }

  /** The predictor factory named `kind`; a config error listing the registered ones otherwise. */
  predictorFactory(kind: string): PredictorFactory {
    const all = this.predictorFactories();
    const found = all.find((f) => f.kind === kind);
    if (found) return found;
    const kinds = all.map((f) => f.kind);
    throw new ConfigError(
      kinds.length === 0
        ? `predictor model '${kind}' is not available: no predictor plugin is loaded; add '@hurricane/predictors' to 'plugins' (npm install @hurricane/predictors)`
        : `predictor model '${kind}' is not registered${suggestion(kind, kinds)}; available: ${kinds.join(', ')}, auto`,
    );
  }

  /** Every registered scoring function with the package that registered it. */
  scorers(): { readonly name: string; readonly description: string; readonly owner: string }[] {
    return resolveAllOrNone<ScoringFunction>(this.container, ScoringFunction).map((s) => ({
      name: s.name,
      description: s.description,
      owner: this.scorerOwners.get(s.name) ?? 'unknown',
    }));
  }

  /** Summaries of the loaded plugins and what each registered. */
  plugins(): PluginSummary[] {
    const adapters = this.adapters();
    const scorers = resolveAllOrNone<ScoringFunction>(this.container, ScoringFunction);
    const predictors = resolveAllOrNone<PredictorFactory>(this.container, PredictorFactory);
    return this.config.plugins.map((p) => ({
      name: p.plugin.name,
      version: p.version,
      spec: p.spec,
      file: p.file,
      description: p.plugin.description ?? null,
      configKey: p.plugin.configKey ?? null,
      adapters: adapters
        .filter((a) => this.adapterOwners.get(a.id) === p.plugin.name)
        .map((a) => ({ id: a.id, description: a.description })),
      scorers: scorers.filter((s) => this.scorerOwners.get(s.name) === p.plugin.name).map((s) => s.name),
      predictors: predictors.filter((f) => this.predictorOwners.get(f.kind) === p.plugin.name).map((f) => f.kind),
    }));
  }

  /** Health checks of every adapter (a crashing check is reported, not thrown). */
  async doctor(): Promise<DoctorReport> {
    const reports: HealthReport[] = [];
    for (const adapter of this.adapters()) {
      try {
        reports.push(await adapter.healthCheck());
      } catch (error) {
        reports.push({
          adapterId: adapter.id,
          ready: false,
          checks: [
            {
              name: 'health check',
              status: 'error',
              detail: `the health check itself failed: ${describeError(error).split('\n')[0]}`,
              fix: `report this to the author of the plugin that provides '${adapter.id}'`,
            },
          ],
        });
      }
    }
    const selected = this.config.core.hardware;
    return { selected, selectedReady: reports.find((r) => r.adapterId === selected)?.ready ?? false, reports };
  }

  /** Disposes the run's container (and every disposable service in it). */
  async dispose(): Promise<void> {
    await this.farm.adapter?.close();
    await this.container.dispose();
  }
}

/** Creates a {@link HurricaneSession}; the programmatic entry point the CLI is built on. */
export function createSession(options: SessionOptions = {}): Promise<HurricaneSession> {
  return HurricaneSession.create(options);
}
