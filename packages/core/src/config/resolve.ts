import path from 'node:path';
import { ConfigError, PluginError } from '../errors.js';
import { discoverPlugins } from '../plugin-loader/discover.js';
import { loadPluginModule, type LoadedPluginModule } from '../plugin-loader/load-module.js';
import { problemsFromIssues, suggestion, type ConfigProblem } from './format-issues.js';
import { loadConfigFile } from './load-file.js';
import { CORE_KEYS, coreConfigSchema, coreDefaults, partialCoreSchema, type CoreConfig } from './schema.js';

/** Settings given on the command line; each wins over the file. */
export interface ConfigOverrides {
  readonly plugins?: readonly string[];
  readonly hardware?: string;
  readonly preset?: string;
  readonly seed?: number | string;
  readonly workDir?: string;
  readonly logLevel?: string;
  readonly engine?: string;
}

/** The CLI flag of each overridable key, for messages and provenance. */
export const OVERRIDE_FLAGS: Readonly<Record<keyof ConfigOverrides, string>> = {
  plugins: '--plugin',
  hardware: '--hardware',
  preset: '--preset',
  seed: '--seed',
  workDir: '--work-dir',
  logLevel: '--log-level',
  engine: '--engine',
};

/** Where a resolved value came from. */
export type ValueSource =
  | { readonly kind: 'default' }
  | { readonly kind: 'discovered' }
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'flag'; readonly flag: string };

/** A plugin module with its validated options. */
export interface ConfiguredPlugin extends LoadedPluginModule {
  /** The plugin's block after its schema (defaults applied), or `{}` when it has no schema. */
  readonly options: unknown;
}

/** A fully validated configuration. */
export interface ResolvedConfig {
  /** Core settings, every key present. */
  readonly core: CoreConfig;
  /** Loaded plugins in config order, with their validated options. */
  readonly plugins: readonly ConfiguredPlugin[];
  /** Config file used, or null. */
  readonly filepath: string | null;
  /** Folder plugins and relative paths are resolved from: the config file's folder, else the cwd. */
  readonly rootDir: string;
  /** `workDir` made absolute against `rootDir`. */
  readonly workDir: string;
  /** Source of each leaf value, by dotted path (`seed`, `scoring.alpha`, `snpe.serial`, …). */
  readonly sources: ReadonlyMap<string, ValueSource>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function leaves(value: unknown, prefix: string, out: string[]): string[] {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.push(prefix);
  return out;
}

function hasPath(root: unknown, dotted: string): boolean {
  let cur: unknown = root;
  for (const key of dotted.split('.')) {
    if (!isPlainObject(cur) || !(key in cur)) return false;
    cur = cur[key];
  }
  return true;
}

function fail(where: string, problems: readonly ConfigProblem[]): never {
  const [first, ...rest] = problems.map((p) => `${where}: ${p.message}`);
  throw new ConfigError(first ?? `${where}: invalid configuration`, { details: rest });
}

/**
 * Resolves the configuration: finds and reads the config file, loads the plugins it lists (or
 * every installed one), validates the core keys and each plugin's block, and layers
 * defaults < file < command-line overrides. Throws {@link ConfigError} / {@link PluginError}
 * with one line per problem, naming the file, the key and the fix.
 */
export async function resolveConfig(options: {
  cwd: string;
  configPath?: string | undefined;
  overrides?: ConfigOverrides;
}): Promise<ResolvedConfig> {
  const file = await loadConfigFile({ cwd: options.cwd, configPath: options.configPath });
  const where = file.filepath ?? 'command line';
  const rootDir = file.filepath ? path.dirname(file.filepath) : path.resolve(options.cwd);
  const content = file.content;
  const overrides = options.overrides ?? {};
  const sources = new Map<string, ValueSource>();
  const fileSource: ValueSource = { kind: 'file', file: file.filepath ?? '' };

  // 1. The plugin list decides which other top-level keys are legal, so it is checked first.
  let pluginSpecs: string[];
  let pluginOrigin: string;
  if (overrides.plugins !== undefined && overrides.plugins.length > 0) {
    pluginSpecs = [...overrides.plugins];
    pluginOrigin = OVERRIDE_FLAGS.plugins;
    sources.set('plugins', { kind: 'flag', flag: OVERRIDE_FLAGS.plugins });
  } else if ('plugins' in content) {
    const parsed = coreConfigSchema.shape.plugins.safeParse(content.plugins);
    if (!parsed.success) fail(where, problemsFromIssues(parsed.error.issues, content.plugins, ['plugins']));
    pluginSpecs = parsed.data;
    pluginOrigin = where;
    sources.set('plugins', fileSource);
  } else {
    pluginSpecs = discoverPlugins(rootDir);
    pluginOrigin = `the plugins installed in ${rootDir}`;
    sources.set('plugins', { kind: 'discovered' });
  }
  const duplicate = pluginSpecs.find((s, i) => pluginSpecs.indexOf(s) !== i);
  if (duplicate !== undefined) fail(where, [{ path: 'plugins', message: `'plugins' lists '${duplicate}' twice; list each plugin once` }]);

  const modules: LoadedPluginModule[] = [];
  for (const spec of pluginSpecs) modules.push(await loadPluginModule(spec, rootDir, pluginOrigin));
  const owners = new Map<string, LoadedPluginModule>();
  for (const m of modules) {
    const key = m.plugin.configKey;
    if (key === undefined) continue;
    if ((CORE_KEYS as string[]).includes(key)) {
      throw new PluginError(
        m.spec,
        `plugin '${m.plugin.name}' uses the config key '${key}', which belongs to core; the plugin must pick another configKey`,
      );
    }
    const other = owners.get(key);
    if (other) {
      throw new PluginError(
        m.spec,
        `plugins '${other.plugin.name}' and '${m.plugin.name}' both claim the config key '${key}'; remove one of them from 'plugins'`,
      );
    }
    owners.set(key, m);
  }

  // 2. Unknown top-level keys (a typo must never pass silently).
  const allowed = [...CORE_KEYS, ...owners.keys()];
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(content)) {
    if (allowed.includes(key)) continue;
    problems.push({
      path: key,
      message: `unknown key '${key}'${suggestion(key, allowed)}; remove it, fix its spelling, or add the plugin that owns it to 'plugins'`,
    });
  }

  // 3. Core keys: defaults < file < flags.
  const defaults = coreDefaults();
  const fileCore: Record<string, unknown> = {};
  for (const key of CORE_KEYS) if (key !== 'plugins' && key in content) fileCore[key] = content[key];
  const fileCheck = partialCoreSchema.safeParse(fileCore);
  if (!fileCheck.success) {
    problems.push(
      ...problemsFromIssues(fileCheck.error.issues, fileCore, [], (p) =>
        p.length === 1 && (p[0] === 'scoring' || p[0] === 'reduction' || p[0] === 'train')
          ? [...Object.keys(defaults[p[0]]), ...(p[0] === 'train' ? ['dataDir', 'lossTarget'] : [])]
          : [],
      ),
    );
  }
  if (problems.length > 0) fail(where, problems);

  const flagCore: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'plugins' || value === undefined) continue;
    flagCore[key] = key === 'seed' && typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  }
  const flagCheck = partialCoreSchema.safeParse(flagCore);
  if (!flagCheck.success) {
    const flagProblems = problemsFromIssues(flagCheck.error.issues, flagCore, []).map((p) => {
      const flag = OVERRIDE_FLAGS[p.path.split('.')[0] as keyof ConfigOverrides] ?? p.path;
      return { ...p, message: p.message.replace(`'${p.path}'`, flag) };
    });
    fail('command line', flagProblems);
  }

  const fileScoring = isPlainObject(fileCore.scoring) ? fileCore.scoring : {};
  const fileReduction = isPlainObject(fileCore.reduction) ? fileCore.reduction : {};
  const fileTrain = isPlainObject(fileCore.train) ? fileCore.train : {};
  const core: CoreConfig = {
    ...defaults,
    ...fileCore,
    ...flagCore,
    scoring: { ...defaults.scoring, ...fileScoring },
    reduction: { ...defaults.reduction, ...fileReduction },
    train: { ...defaults.train, ...fileTrain },
    plugins: pluginSpecs,
  } as CoreConfig;
  for (const leaf of leaves(core, '', [])) {
    if (leaf === 'plugins') continue;
    const top = leaf.split('.')[0] as keyof ConfigOverrides;
    if (leaf in flagCore || (top in flagCore && !leaf.includes('.'))) sources.set(leaf, { kind: 'flag', flag: OVERRIDE_FLAGS[top] });
    else if (hasPath(fileCore, leaf)) sources.set(leaf, fileSource);
    else sources.set(leaf, { kind: 'default' });
  }

  // 4. Each plugin validates its own block.
  const plugins: ConfiguredPlugin[] = [];
  for (const m of modules) {
    const key = m.plugin.configKey;
    const block = key !== undefined && key in content ? content[key] : {};
    let value: unknown = block ?? {};
    if (m.plugin.configSchema && key !== undefined) {
      const result = await m.plugin.configSchema['~standard'].validate(block ?? {});
      if (result.issues) {
        fail(
          where,
          problemsFromIssues(result.issues, block, [key]).map((p) => ({
            ...p,
            message: `${p.message} (checked by plugin ${m.plugin.name})`,
          })),
        );
      }
      value = result.value;
      for (const leaf of leaves(value, key, [])) {
        sources.set(leaf, hasPath(content, leaf) ? fileSource : { kind: 'default' });
      }
    } else if (key !== undefined && isPlainObject(block) && Object.keys(block).length > 0) {
      fail(where, [{ path: key, message: `'${key}': plugin ${m.plugin.name} takes no options; remove the block` }]);
    }
    plugins.push({ ...m, options: value });
  }

  return {
    core,
    plugins,
    filepath: file.filepath,
    rootDir,
    workDir: path.resolve(rootDir, core.workDir),
    sources,
  };
}
