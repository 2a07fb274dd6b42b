import type { DependencyContainer } from 'tsyringe';
import { suggestion } from '../config/format-issues.js';
import type { ConfiguredPlugin } from '../config/resolve.js';
import { type MeasuringAdapter, measuringAdapter } from '../adapter-kit/measuring-adapter.js';
import { HardwareAdapter } from '../contracts/hardware-adapter.js';
import { PredictorFactory } from '../contracts/predictor.js';
import { ScoringFunction } from '../contracts/scoring-function.js';
import { ConfigError, PluginError, describeError } from '../errors.js';

/** The three kinds of service plugins register, with the token, the id of one and what a message calls it. */
const KINDS = {
  adapter: { token: HardwareAdapter, idOf: (a: HardwareAdapter) => a.id, what: 'adapter id' },
  scorer: { token: ScoringFunction, idOf: (s: ScoringFunction) => s.name, what: 'scoring function' },
  predictor: { token: PredictorFactory, idOf: (f: PredictorFactory) => f.kind, what: 'predictor' },
} as const;
type Kind = keyof typeof KINDS;

/** The item whose id is `id`, or a {@link ConfigError} whose message `notFound` builds from the ids there are. */
function findOrFail<T>(items: readonly T[], id: string, idOf: (t: T) => string, notFound: (ids: readonly string[]) => string): T {
  const found = items.find((t) => idOf(t) === id);
  if (found !== undefined) return found;
  throw new ConfigError(notFound(items.map(idOf)));
}

/** An adapter that measures somewhere else (the device farm) and holds connections until closed. */
export interface RemoteAdapter extends HardwareAdapter {
  close(): Promise<void>;
}

/**
 * What a session's plugins registered, by id, with the package that registered each (so two
 * plugins never claim one id) and the look-ups by id with a "did you mean". Adapters are built
 * once per session and wrapped with the one measure call ({@link MeasuringAdapter}); a remote
 * adapter set with {@link useRemote} stands in for a target of the run.
 */
export class ServiceRegistry {
  private readonly owners: Record<Kind, Map<string, string>> = { adapter: new Map(), scorer: new Map(), predictor: new Map() };
  private cachedAdapters: MeasuringAdapter[] | undefined;
  private readonly remotes = new Map<string, { adapter: RemoteAdapter; measuring: MeasuringAdapter }>();

  constructor(private readonly container: DependencyContainer) {}

  /** Every service of `kind` registered in the container, in registration order. */
  private all(kind: 'adapter'): HardwareAdapter[];
  private all(kind: 'scorer'): ScoringFunction[];
  private all(kind: 'predictor'): PredictorFactory[];
  private all(kind: Kind): unknown[];
  private all(kind: Kind): unknown[] {
    const t: symbol = KINDS[kind].token;
    return this.container.isRegistered(t, true) ? this.container.resolveAll(t) : [];
  }

  /** Records core's own services (registered before any plugin) under `@hurricane/core`. */
  claimCore(): void {
    for (const s of this.all('scorer')) this.owners.scorer.set(s.name, '@hurricane/core');
  }

  /** Runs a plugin's `register` and claims the ids it added; a clash or a broken service is a {@link PluginError}. */
  async register(p: ConfiguredPlugin, run: () => Promise<void> | void, where: string): Promise<void> {
    const before = { adapter: this.all('adapter').length, scorer: this.all('scorer').length, predictor: this.all('predictor').length };
    try {
      await run();
    } catch (error) {
      throw new PluginError(
        p.spec,
        `plugin '${p.plugin.name}' failed while registering: ${describeError(error).split('\n')[0]}; ${where}, or report it to the plugin's author`,
        { cause: error },
      );
    }
    this.cachedAdapters = undefined;
    for (const kind of Object.keys(KINDS) as Kind[]) {
      let added: unknown[];
      try {
        added = this.all(kind).slice(before[kind]);
      } catch (error) {
        throw new PluginError(
          p.spec,
          `plugin '${p.plugin.name}' registered an ${kind} that cannot be constructed: ${describeError(error).split('\n')[0]}; ${where}`,
          { cause: error },
        );
      }
      for (const service of added) this.claim(kind, (KINDS[kind].idOf as (s: unknown) => string)(service), p);
    }
  }

  private claim(kind: Kind, id: string, p: ConfiguredPlugin): void {
    const other = this.owners[kind].get(id);
    if (other !== undefined) {
      throw new PluginError(
        p.spec,
        `${KINDS[kind].what} '${id}' is registered by both ${other} and ${p.plugin.name}; remove one of the two plugins from 'plugins'`,
      );
    }
    this.owners[kind].set(id, p.plugin.name);
  }

  /** The package that registered `id` of `kind`. */
  ownerOf(kind: Kind, id: string): string | undefined {
    return this.owners[kind].get(id);
  }

  /** Every registered adapter (built once per session), each with the one measure call. */
  adapters(): MeasuringAdapter[] {
    this.cachedAdapters ??= this.all('adapter').map(measuringAdapter);
    return this.cachedAdapters;
  }

  /** Measure the target named `target` with `adapter` (the device farm's requester) instead of a local adapter. */
  useRemote(target: string, adapter: RemoteAdapter): void {
    this.remotes.set(target, { adapter, measuring: measuringAdapter(adapter) });
  }

  /** The remote adapter that measures the target named `target`, if one was set. */
  remote(target: string): MeasuringAdapter | undefined {
    return this.remotes.get(target)?.measuring;
  }

  /** The local adapter `id`, or a {@link ConfigError} built by `notFound`. */
  adapter(id: string, notFound: (ids: readonly string[]) => string): MeasuringAdapter {
    return findOrFail(this.adapters(), id, (a) => a.id, notFound);
  }

  /** Every registered scoring function. */
  scorers(): ScoringFunction[] {
    return this.all('scorer');
  }

  /** The scoring function `name`, or a {@link ConfigError} listing the registered ones. */
  scorer(name: string): ScoringFunction {
    return findOrFail(
      this.scorers(),
      name,
      (s) => s.name,
      (names) => `scoring function '${name}' is not registered${suggestion(name, names)}; available: ${names.join(', ')}`,
    );
  }

  /** Every registered predictor factory. */
  predictorFactories(): PredictorFactory[] {
    return this.all('predictor');
  }

  /** The predictor factory `kind`, or a {@link ConfigError} listing the registered ones. */
  predictorFactory(kind: string): PredictorFactory {
    return findOrFail(
      this.predictorFactories(),
      kind,
      (f) => f.kind,
      (kinds) =>
        kinds.length === 0
          ? `predictor model '${kind}' is not available: no predictor plugin is loaded; add '@hurricane/predictors' to 'plugins' (npm install @hurricane/predictors)`
          : `predictor model '${kind}' is not registered${suggestion(kind, kinds)}; available: ${kinds.join(', ')}, auto`,
    );
  }

  /** Closes the remote adapters, if any. */
  async close(): Promise<void> {
    for (const r of this.remotes.values()) await r.adapter.close();
  }
}
