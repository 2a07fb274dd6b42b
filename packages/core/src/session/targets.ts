// The run's targets as adapter instances (issue 23, item 1). A target with options of its own (the
// host CPU at 2 threads beside the one at 1, a second phone's serial) gets a child container of its
// own, into which the plugin that provides its adapter registers once more, with its block's
// options overridden by the target's and checked by the plugin's schema. A target without options
// is the session's adapter of that id.
import type { DependencyContainer } from 'tsyringe';
import type { ConfiguredPlugin, ResolvedConfig, TargetSpec } from '../config/resolve.js';
import { problemsFromIssues } from '../config/format-issues.js';
import type { Environment } from '../contracts/environment.js';
import type { Logger } from '../contracts/logger.js';
import type { ToolRunner } from '../contracts/tool-runner.js';
import { ConfigError } from '../errors.js';
import { redactUrlsIn } from '../redact.js';
import { createRunContainer } from './container.js';
import { ServiceRegistry } from './registry.js';

/** What a target's own container is built with: the session's services. */
export interface TargetServices {
  readonly logger: Logger;
  readonly toolRunner: ToolRunner;
  readonly env: Environment;
}

/** A target's own registry and the container behind it (disposed with the session). */
export interface TargetRegistry {
  readonly registry: ServiceRegistry;
  readonly container: DependencyContainer;
}

/** The plugin's options for `t`: its block's, overridden by the target's, validated by its schema (a {@link ConfigError} naming `targets.<name>.<key>` otherwise). */
async function targetOptions(config: ResolvedConfig, t: TargetSpec, p: ConfiguredPlugin): Promise<unknown> {
  const where = config.filepath ?? 'command line';
  if (!p.plugin.configSchema) {
    const keys = Object.keys(t.options)
      .map((k) => `'${k}'`)
      .join(', ');
    throw new ConfigError(`${where}: targets.${t.name}: plugin ${p.plugin.name} takes no options; remove ${keys}`);
  }
  const merged = { ...(p.options as Record<string, unknown>), ...t.options };
  const result = await p.plugin.configSchema['~standard'].validate(merged);
  if (!result.issues) return result.value;
  const [first, ...rest] = problemsFromIssues(result.issues, merged, ['targets', t.name]).map((x) =>
    redactUrlsIn(`${where}: ${x.message} (checked by plugin ${p.plugin.name})`),
  );
  throw new ConfigError(first ?? `${where}: targets.${t.name}: invalid options`, { details: rest });
}

/**
 * One registry per target that has options of its own, by target name. A target whose adapter no
 * loaded plugin provides is left out: asking for its adapter reports that (and a farm requester
 * needs no plugin at all).
 */
export async function targetRegistries(
  config: ResolvedConfig,
  session: ServiceRegistry,
  services: TargetServices,
): Promise<Map<string, TargetRegistry>> {
  const out = new Map<string, TargetRegistry>();
  for (const t of config.targets) {
    if (Object.keys(t.options).length === 0) continue;
    const owner = session.ownerOf('adapter', t.adapter);
    const p = config.plugins.find((x) => x.plugin.name === owner);
    if (p === undefined) continue;
    const options = await targetOptions(config, t, p);
    const container = createRunContainer(config, services);
    const registry = new ServiceRegistry(container);
    registry.claimCore();
    const ctx = { options, logger: services.logger, rootDir: config.rootDir, workDir: config.workDir };
    await registry.register(
      { ...p, options },
      () => p.plugin.register(container, ctx),
      `check targets.${t.name} in ${config.filepath ?? 'your config'}`,
    );
    out.set(t.name, { registry, container });
  }
  return out;
}
