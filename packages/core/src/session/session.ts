// `session/` — one run of Hurricane: the resolved config, the plugins registered into a child
// tsyringe container (`container.ts`, `tokens.ts`) with core's services (the execa tool runner,
// the stderr logger, Eq. 4 scoring), and the registry of what they registered (`registry.ts`).
// This file only composes them. May import `config/`, `plugin-loader/`, the contracts, the
// adapter kit and `profile/eq4-scoring.ts`; never the farm, a workflow or the CLI (rule
// `session-only-composes`). The device farm joins at the composition root (`create-session.ts`).
import type { DependencyContainer } from 'tsyringe';
import { resolveConfig, type ConfigOverrides, type ResolvedConfig, type TargetSpec } from '../config/resolve.js';
import { suggestion } from '../config/format-issues.js';
import type { CoreConfig } from '../config/schema.js';
import type { MeasuringAdapter } from '../adapter-kit/measuring-adapter.js';
import { createRunContainer } from './container.js';
import { ConfigError, describeError } from '../errors.js';
import { StreamLogger } from './stderr-logger.js';
import type { HealthReport } from '../contracts/hardware-adapter.js';
import type { Environment } from '../contracts/environment.js';
import type { Logger } from '../contracts/logger.js';
import type { PredictorFactory } from '../contracts/predictor.js';
import type { ScoringFunction } from '../contracts/scoring-function.js';
import type { ToolRunner } from '../contracts/tool-runner.js';
import { ExecaToolRunner } from './execa-tool-runner.js';
import { ServiceRegistry } from './registry.js';
import { type TargetRegistry, targetRegistries } from './targets.js';

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
  /** The adapter the config selects (`hardware`), or the selected targets' names, comma-separated. */
  readonly selected: string;
  /** True when every selected target is ready to measure. */
  readonly selectedReady: boolean;
  /**
   * One report per registered adapter, in registration order; with a `targets` block, one per
   * selected target instead (its `adapterId` is then `<target> (<adapter id>)`).
   */
  readonly reports: readonly HealthReport[];
}

/** The targets of a session, shared by the session's views of each one ({@link HurricaneSession.forTarget}). */
interface Targets {
  /** The registries of targets with options of their own, by name. */
  readonly registries: ReadonlyMap<string, TargetRegistry>;
  /** The target this view works on. */
  readonly current: TargetSpec;
}

/**
 * One run of Hurricane: a resolved config, the loaded plugins and a child DI container holding
 * core's and the plugins' services, looked up through its {@link ServiceRegistry}. Dispose it when done.
 */
export class HurricaneSession {
  private constructor(
    readonly config: ResolvedConfig,
    readonly container: DependencyContainer,
    /** What the plugins registered, shared with {@link withPreset}'s sessions. */
    readonly registry: ServiceRegistry,
    /** The logger and environment the session's services were given. */
    readonly services: { readonly logger: Logger; readonly env: Environment },
    private readonly targetsOf: Targets,
  ) {}

  /** Creates the session: resolves the config, then registers each plugin into a fresh child container. */
  static async create(options: SessionOptions = {}): Promise<HurricaneSession> {
    const config = await resolveConfig({
      cwd: options.cwd ?? process.cwd(),
      configPath: options.configPath,
      overrides: options.overrides ?? {},
    });
    const logger = options.logger ?? new StreamLogger(config.core.logLevel);
    const env = options.env ?? process.env;
    // one tool runner for the session and every target's container
    const toolRunner = options.toolRunner ?? new ExecaToolRunner();
    const container = createRunContainer(config, { logger, toolRunner, env });
    const registry = new ServiceRegistry(container);
    registry.claimCore();
    for (const p of config.plugins) {
      const where = p.plugin.configKey
        ? `check its options under '${p.plugin.configKey}' in ${config.filepath ?? 'your config'}`
        : 'check its installation';
      const ctx = { options: p.options, logger, rootDir: config.rootDir, workDir: config.workDir };
      await registry.register(p, () => p.plugin.register(container, ctx), where);
    }
    const registries = await targetRegistries(config, registry, { logger, env, toolRunner });
    const first = config.targets[0] as TargetSpec; // the schema keeps at least one
    return new HurricaneSession(config, container, registry, { logger, env }, { registries, current: first });
  }

  /**
   * This session with another search-space preset (same plugins and container): `hurricane search`
   * runs every stage on the preset its dataset fits when the preset was left at its default.
   */
  withPreset(name: CoreConfig['preset']): HurricaneSession {
    if (name === this.config.core.preset) return this;
    return new HurricaneSession(
      { ...this.config, core: { ...this.config.core, preset: name } },
      this.container,
      this.registry,
      this.services,
      this.targetsOf,
    );
  }

  /** The target this session works on: the first of the config's unless chosen with {@link forTarget}. */
  get target(): TargetSpec {
    return this.targetsOf.current;
  }

  /** The config's targets, or those `names` picks (a {@link ConfigError} naming an unknown one, exit 2). */
  targets(names?: readonly string[]): TargetSpec[] {
    const all = this.config.targets;
    if (names === undefined || names.length === 0) return [...all];
    return names.map((n) => {
      const t = all.find((x) => x.name === n);
      if (t) return t;
      const known = all.map((x) => x.name);
      throw new ConfigError(`--target '${n}' is not a target of this run${suggestion(n, known)}; targets: ${known.join(', ')}`);
    });
  }

  /** This session working on the target `name` (same config, plugins and preset). */
  forTarget(name: string): HurricaneSession {
    if (name === this.target.name) return this;
    const [t] = this.targets([name]);
    return new HurricaneSession(this.config, this.container, this.registry, this.services, {
      ...this.targetsOf,
      current: t as TargetSpec,
    });
  }

  /** Every registered hardware adapter (built once per session). */
  adapters(): MeasuringAdapter[] {
    return this.registry.adapters();
  }

  /**
   * The command line of another `hurricane` command for this same run (its `--config`, `--preset`,
   * `--hardware`, … repeated), for hints such as "run 'hurricane profile --preset imagenet' first".
   */
  command(name: string, ...extra: string[]): string {
    // with several targets, the hint is for this session's target
    const target = this.config.targets.length > 1 ? ['--target', this.target.name] : [];
    return ['hurricane', name, ...this.config.commandLine, ...target, ...extra].join(' ');
  }

  /**
   * The adapter of the session's target ({@link target}), or the installed adapter `id`, with the
   * one measure call; a {@link ConfigError} listing the available ids when no plugin provides it.
   * With `farm.url` set, a target is measured by the device farm's requester; this host then needs
   * neither device nor plugin.
   */
  adapter(id?: string): MeasuringAdapter {
    return (id === undefined ? this.registry.remote(this.target.name) : undefined) ?? this.localAdapter(id);
  }

  /** As {@link adapter}, but always this host's adapter, never the farm's requester (what an agent serves). */
  localAdapter(id?: string): MeasuringAdapter {
    const t = this.target;
    const want = id ?? t.adapter;
    const own = id === undefined ? this.targetsOf.registries.get(t.name)?.registry : undefined;
    return (own ?? this.registry).adapter(want, (ids) => {
      const source = this.config.sources.get(this.config.core.targets ? `targets.${t.name}.adapter` : 'hardware');
      const key = this.config.core.targets ? `'targets.${t.name}.adapter'` : "'hardware'";
      const from = source?.kind === 'flag' ? source.flag : source?.kind === 'file' ? `${key} in ${source.file}` : key;
      return ids.length === 0
        ? `no hardware adapter is available (${from} asks for '${want}'): install one, e.g. 'npm install -D @hurricane/hw-arm-cpu'`
        : `hardware '${want}' (from ${from}) is not provided by any loaded plugin${suggestion(want, ids)}; available: ${ids.join(', ')}`;
    });
  }

  /** The scoring function `name` (default: the config's `scoring.name`). */
  scorer(name: string = this.config.core.scoring.name): ScoringFunction {
    return this.registry.scorer(name);
  }

  /** Every registered predictor factory (`@hurricane/predictors` and any plugin's). */
  predictorFactories(): PredictorFactory[] {
    return this.registry.predictorFactories();
  }

  /** The predictor factory named `kind`; a config error listing the registered ones otherwise. */
  predictorFactory(kind: string): PredictorFactory {
    return this.registry.predictorFactory(kind);
  }

  /** Every registered scoring function with the package that registered it. */
  scorers(): { readonly name: string; readonly description: string; readonly owner: string }[] {
    return this.registry.scorers().map((s) => ({
      name: s.name,
      description: s.description,
      owner: this.registry.ownerOf('scorer', s.name) ?? 'unknown',
    }));
  }

  /** Summaries of the loaded plugins and what each registered. */
  plugins(): PluginSummary[] {
    const r = this.registry;
    const mine = <T>(items: readonly T[], kind: 'adapter' | 'scorer' | 'predictor', idOf: (t: T) => string, name: string) =>
      items.filter((t) => r.ownerOf(kind, idOf(t)) === name);
    return this.config.plugins.map((p) => ({
      name: p.plugin.name,
      version: p.version,
      spec: p.spec,
      file: p.file,
      description: p.plugin.description ?? null,
      configKey: p.plugin.configKey ?? null,
      adapters: mine(r.adapters(), 'adapter', (a) => a.id, p.plugin.name).map((a) => ({ id: a.id, description: a.description })),
      scorers: mine(r.scorers(), 'scorer', (s) => s.name, p.plugin.name).map((s) => s.name),
      predictors: mine(r.predictorFactories(), 'predictor', (f) => f.kind, p.plugin.name).map((f) => f.kind),
    }));
  }

  /**
   * Health checks, run now (a crashing check is reported, not thrown): of every installed adapter
   * for the one-target shorthand, of each target (or those `names` picks) with a `targets` block.
   */
  async doctor(names?: readonly string[]): Promise<DoctorReport> {
    if (this.config.core.targets === undefined) {
      const reports: HealthReport[] = [];
      for (const adapter of this.adapters()) reports.push(await checkHealth(adapter));
      const selected = this.config.core.hardware;
      return { selected, selectedReady: reports.find((r) => r.adapterId === selected)?.ready ?? false, reports };
    }
    const targets = this.targets(names);
    const reports: HealthReport[] = [];
    for (const t of targets) {
      const r = await checkHealth(this.forTarget(t.name).adapter());
      reports.push({ ...r, adapterId: `${t.name} (${r.adapterId})` });
    }
    return { selected: targets.map((t) => t.name).join(', '), selectedReady: reports.every((r) => r.ready), reports };
  }

  /** Disposes the run's containers (and every disposable service in them) and closes the remote adapters. */
  async dispose(): Promise<void> {
    await this.registry.close();
    for (const t of this.targetsOf.registries.values()) await t.container.dispose();
    await this.container.dispose();
  }
}

/** An adapter's health report; a check that itself crashes is reported as one failed check. */
async function checkHealth(adapter: MeasuringAdapter): Promise<HealthReport> {
  try {
    return await adapter.healthCheck({ fresh: true });
  } catch (error) {
    return {
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
    };
  }
}
