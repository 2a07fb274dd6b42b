import type { DependencyContainer } from 'tsyringe';
import { problemsFromIssues } from '../config/format-issues.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { coreDefaults } from '../config/schema.js';
import { createRunContainer } from '../session/container.js';
import type { Environment } from '../contracts/environment.js';
import { HardwareAdapter } from '../contracts/hardware-adapter.js';
import type { Logger } from '../contracts/logger.js';
import type { HurricanePlugin } from '../contracts/plugin.js';
import type { ToolRunner } from '../contracts/tool-runner.js';
import { ExecaToolRunner } from '../session/execa-tool-runner.js';
import { MemoryLogger } from './fakes.js';

/** Options of {@link createPluginHarness}. */
export interface PluginHarnessOptions {
  /** The plugin's raw config block, validated by its schema as a config file's would be (default `{}`). */
  readonly options?: unknown;
  /** Environment the adapters see (default: an empty environment: no PATH, no SDK variables). */
  readonly env?: Environment;
  /** Tool runner (default: the real execa runner, so fake executables on `env.PATH` run). */
  readonly toolRunner?: ToolRunner;
  /** Logger (default: a {@link MemoryLogger}). */
  readonly logger?: Logger;
  /** Work dir handed to the plugin (default: the OS temp dir). */
  readonly workDir?: string;
}

/** A plugin registered into its own child container, exactly as a run would do it. */
export interface PluginHarness {
  readonly container: DependencyContainer;
  readonly logger: Logger;
  /** The validated options the plugin received. */
  readonly options: unknown;
  /** Every adapter the plugin registered. */
  adapters(): HardwareAdapter[];
  /** The adapter `id`; throws when the plugin did not register it. */
  adapter(id: string): HardwareAdapter;
  dispose(): Promise<void>;
}

/**
 * Registers `plugin` into a fresh child container with core's services (a fake environment,
 * a tool runner, a memory logger), validating `options` with the plugin's own schema first.
 */
export async function createPluginHarness(plugin: HurricanePlugin<unknown>, opts: PluginHarnessOptions = {}): Promise<PluginHarness> {
  const raw = opts.options ?? {};
  let options: unknown = raw;
  if (plugin.configSchema) {
    const result = await plugin.configSchema['~standard'].validate(raw);
    if (result.issues) {
      const [first] = problemsFromIssues(result.issues, raw, [plugin.configKey ?? plugin.name]);
      throw new Error(`invalid options for ${plugin.name}: ${first?.message ?? 'invalid'}`);
    }
    options = result.value;
  }
  const logger = opts.logger ?? new MemoryLogger();
  const workDir = opts.workDir ?? (await import('node:os')).tmpdir();
  const config: ResolvedConfig = {
    core: { ...coreDefaults(), plugins: [plugin.name] },
    targets: [{ name: coreDefaults().hardware, adapter: coreDefaults().hardware, options: {} }],
    plugins: [],
    filepath: null,
    rootDir: process.cwd(),
    workDir,
    sources: new Map(),
    commandLine: [],
    pluginSearchDirs: [],
  };
  const container = createRunContainer(config, {
    logger,
    toolRunner: opts.toolRunner ?? new ExecaToolRunner(),
    env: opts.env ?? {},
  });
  await plugin.register(container, { options, logger, rootDir: process.cwd(), workDir });
  const adapters = () => (container.isRegistered(HardwareAdapter, true) ? container.resolveAll<HardwareAdapter>(HardwareAdapter) : []);
  return {
    container,
    logger,
    options,
    adapters,
    adapter(id: string) {
      const a = adapters().find((x) => x.id === id);
      if (!a)
        throw new Error(
          `${plugin.name} registered no adapter '${id}' (it has: ${adapters()
            .map((x) => x.id)
            .join(', ')})`,
        );
      return a;
    },
    dispose: () => container.dispose() as Promise<void>,
  };
}
