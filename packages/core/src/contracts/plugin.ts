import type { DependencyContainer } from 'tsyringe';
import type { Logger } from './logger.js';

/**
 * The plugin API version this `@hurricane/core` implements. A plugin declares the version it was
 * written for in {@link HurricanePlugin.apiVersion}; core loads it only when they are equal.
 */
export const PLUGIN_API_VERSION = 1;

/**
 * A schema in the Standard Schema form (`~standard.validate`), which zod ≥ 3.24, valibot and
 * arktype all implement. Plugins validate their own config block with it.
 */
export interface StandardSchema<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    validate(value: unknown): StandardResult<Output> | Promise<StandardResult<Output>>;
  };
}
/** Result of a Standard Schema validation. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: readonly {
        readonly message: string;
        readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
      }[];
    };

/** What core hands a plugin's `register`: the only things a plugin may rely on besides the container. */
export interface PluginContext<Options = unknown> {
  /** The plugin's own config block, validated by its `configSchema` (defaults applied). */
  readonly options: Options;
  /** Logger for messages to the user. */
  readonly logger: Logger;
  /** Folder of the config file (or the working directory when there is none). */
  readonly rootDir: string;
  /** Folder where runs keep their state (`workDir` of the config, resolved). */
  readonly workDir: string;
}

/**
 * The one object a plugin package default-exports.
 *
 * ```ts
 * export default defineHurricanePlugin({
 *   name: '@acme/hurricane-npu', apiVersion: PLUGIN_API_VERSION, configKey: 'acme',
 *   configSchema: z.object({ ... }).strict(),
 *   register(container, ctx) { container.register(HardwareAdapter, { useValue: new AcmeAdapter(ctx.options) }) },
 * });
 * ```
 */
export interface HurricanePlugin<Options = unknown> {
  /** The npm package name of the plugin. */
  readonly name: string;
  /** Plugin API version the plugin was written for; must equal {@link PLUGIN_API_VERSION}. */
  readonly apiVersion: number;
  /** One-line description shown by `hurricane plugins`. */
  readonly description?: string;
  /** Key of the plugin's block in the Hurricane config (e.g. `snpe`); omit when it takes no options. */
  readonly configKey?: string;
  /** Validates the plugin's block and applies its defaults. Unknown keys should be errors (`.strict()`). */
  readonly configSchema?: StandardSchema<Options>;
  /**
   * Registers the plugin's services in the run's child container: adapters under `HardwareAdapter`,
   * scorers under `ScoringFunction`, predictor factories under `PredictorFactory`. Must not start
   * tools or touch devices. May be async.
   */
  register(container: DependencyContainer, context: PluginContext<Options>): void | Promise<void>;
}

/** Identity helper that type-checks a plugin descriptor (`export default defineHurricanePlugin({...})`). */
export function defineHurricanePlugin<Options>(plugin: HurricanePlugin<Options>): HurricanePlugin<Options> {
  return plugin;
}
