// `config/` — finding and reading the config file (`load-file.ts`, cosmiconfig), the core schema
// (`schema.ts`, zod), one-line problems with "did you mean" (`format-issues.ts`), and the layering
// defaults < file < flags with each value's source (this file). May import `plugin-loader/` and the
// contracts; never a stage of the method.
import path from 'node:path';
import { ConfigError, PluginError } from '../errors.js';
import { discoverPlugins, pluginSearchDirs } from '../plugin-loader/discover.js';
import { loadPluginModule, type LoadedPluginModule } from '../plugin-loader/load-module.js';
import { problemsFromIssues, suggestion, type ConfigProblem } from './format-issues.js';
import { loadConfigFile } from './load-file.js';
import { redactUrl } from '../farm/connection.js';
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
  /** `--farm <redis-url>`: `farm.url`. */
  readonly farm?: string;
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
  farm: '--farm',
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
  /** The command-line settings of this run (`--config` included), to repeat in hints. */
  readonly commandLine: readonly string[];
  /** Where plugins were looked for (the config's folder, the working directory, beside core). */
  readonly pluginSearchDirs: readonly string[];
}

/** The command-line settings that chose this run's config and values, as flags a hint repeats. */
function commandLineOf(configPath: string | undefined, overrides: ConfigOverrides): string[] {
  const quote = (v: string) => (/^[\w./@:=+-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`);
  const out = configPath !== undefined ? ['--config', quote(configPath)] : [];
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const flag = OVERRIDE_FLAGS[key as keyof ConfigOverrides];
    for (const v of Array.isArray(value) ? value : [value]) out.push(flag, quote(key === 'farm' ? redactUrl(String(v)) : String(v)));
  }
  return out;
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

/** What every step of {@link resolveConfig} reads: the file's content and name, and where sources are recorded. */
interface Resolution {
  readonly where: string;
  readonly rootDir: string;
  readonly content: Record<string, unknown>;
  readonly overrides: ConfigOverrides;
  /** Where plugins are looked for: the config's folder, the working directory, beside core. */
  readonly searchDirs: readonly string[];
  readonly sources: Map<string, ValueSource>;
  readonly fileSource: ValueSource;
}

/** The plugin list (flag > file > every installed plugin); it decides which other top-level keys are legal. */
function pluginList(r: Resolution): { specs: string[]; origin: string } {
  let specs: string[];
  let origin: string;
  if (r.overrides.plugins !== undefined && r.overrides.plugins.length > 0) {
    specs = [...r.overrides.plugins];
    origin = OVERRIDE_FLAGS.plugins;
    r.sources.set('plugins', { kind: 'flag', flag: OVERRIDE_FLAGS.plugins });
  } else if ('plugins' in r.content) {
    const parsed = coreConfigSchema.shape.plugins.safeParse(r.content.plugins);
    if (!parsed.success) fail(r.where, problemsFromIssues(parsed.error.issues, r.content.plugins, ['plugins']));
    specs = parsed.data;
    origin = r.where;
    r.sources.set('plugins', r.fileSource);
  } else {
    specs = discoverPlugins(r.searchDirs);
    origin = `the plugins installed where ${r.searchDirs.join(', ')} can import them`;
    r.sources.set('plugins', { kind: 'discovered' });
  }
  const duplicate = specs.find((s, i) => specs.indexOf(s) !== i);
  if (duplicate !== undefined) fail(r.where, [{ path: 'plugins', message: `'plugins' lists '${duplicate}' twice; list each plugin once` }]);
  return { specs, origin };
}

/** Each plugin's config key, checked: none takes a core key, no two take the same one. */
function configKeyOwners(modules: readonly LoadedPluginModule[]): Map<string, LoadedPluginModule> {
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
  return owners;
}

/** The file's core keys, validated together with the unknown-key check (a typo never passes silently). */
function fileCoreValues(r: Resolution, pluginKeys: readonly string[]): Record<string, unknown> {
  const allowed = [...CORE_KEYS, ...pluginKeys];
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(r.content)) {
    if (allowed.includes(key)) continue;
    problems.push({
      path: key,
      message: `unknown key '${key}'${suggestion(key, allowed)}; remove it, fix its spelling, or add the plugin that owns it to 'plugins'`,
    });
  }
  const defaults = coreDefaults();
  const fileCore: Record<string, unknown> = {};
  for (const key of CORE_KEYS) if (key !== 'plugins' && key in r.content) fileCore[key] = r.content[key];
  const fileCheck = partialCoreSchema.safeParse(fileCore);
  if (!fileCheck.success) {
    problems.push(
      ...problemsFromIssues(fileCheck.error.issues, fileCore, [], (p) =>
        p.length === 1 && (p[0] === 'scoring' || p[0] === 'reduction' || p[0] === 'train' || p[0] === 'farm')
          ? [
              ...Object.keys(defaults[p[0]]),
              ...(p[0] === 'train' ? ['dataDir', 'lossTarget'] : p[0] === 'farm' ? ['url', 'device', 'caFile', 'agentName'] : []),
            ]
          : [],
      ),
    );
  }
  if (problems.length > 0) fail(r.where, problems);
  return fileCore;
}

/** The command-line core values, validated; a problem names the flag. */
function flagCoreValues(overrides: ConfigOverrides): Record<string, unknown> {
  const flagCore: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'plugins' || value === undefined) continue;
    // A number on the command line is checked as the same number in a file would be (same message).
    const numeric = key === 'seed' && typeof value === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(value);
    flagCore[key] = numeric ? Number(value) : key === 'farm' ? { url: value } : value;
  }
  const flagCheck = partialCoreSchema.safeParse(flagCore);
  if (!flagCheck.success) {
    const flagProblems = problemsFromIssues(flagCheck.error.issues, flagCore, []).map((p) => {
      const flag = OVERRIDE_FLAGS[p.path.split('.')[0] as keyof ConfigOverrides] ?? p.path;
      return { ...p, message: p.message.replace(`'${p.path}'`, flag) };
    });
    fail('command line', flagProblems);
  }
  return flagCore;
}

/** Defaults < file < flags for the core keys, recording where each leaf came from. */
function layerCore(r: Resolution, fileCore: Record<string, unknown>, flagCore: Record<string, unknown>, plugins: string[]): CoreConfig {
  const defaults = coreDefaults();
  const block = (key: string) => (isPlainObject(fileCore[key]) ? fileCore[key] : {});
  const core = {
    ...defaults,
    ...fileCore,
    ...flagCore,
    scoring: { ...defaults.scoring, ...block('scoring') },
    reduction: { ...defaults.reduction, ...block('reduction') },
    train: { ...defaults.train, ...block('train') },
    predictor: { ...defaults.predictor, ...block('predictor') },
    search: { ...defaults.search, ...block('search') },
    farm: { ...defaults.farm, ...block('farm'), ...(isPlainObject(flagCore.farm) ? flagCore.farm : {}) },
    plugins,
  } as CoreConfig;
  for (const leaf of leaves(core, '', [])) {
    if (leaf === 'plugins') continue;
    const top = leaf.split('.')[0] as keyof ConfigOverrides;
    if (leaf in flagCore || (top in flagCore && !leaf.includes('.')) || hasPath(flagCore, leaf))
      r.sources.set(leaf, { kind: 'flag', flag: OVERRIDE_FLAGS[top] });
    else if (hasPath(fileCore, leaf)) r.sources.set(leaf, r.fileSource);
    else r.sources.set(leaf, { kind: 'default' });
  }
  return core;
}

/** Each plugin validates its own block (its `configSchema`); a plugin without one takes no options. */
async function configurePlugin(r: Resolution, m: LoadedPluginModule): Promise<ConfiguredPlugin> {
  const key = m.plugin.configKey;
  const block = key !== undefined && key in r.content ? r.content[key] : {};
  if (!(m.plugin.configSchema && key !== undefined)) {
    if (key !== undefined && isPlainObject(block) && Object.keys(block).length > 0)
      fail(r.where, [{ path: key, message: `'${key}': plugin ${m.plugin.name} takes no options; remove the block` }]);
    return { ...m, options: block ?? {} };
  }
  const result = await m.plugin.configSchema['~standard'].validate(block ?? {});
  if (result.issues) {
    const problems = problemsFromIssues(result.issues, block, [key]);
    fail(
      r.where,
      problems.map((p) => ({ ...p, message: `${p.message} (checked by plugin ${m.plugin.name})` })),
    );
  }
  for (const leaf of leaves(result.value, key, [])) r.sources.set(leaf, hasPath(r.content, leaf) ? r.fileSource : { kind: 'default' });
  return { ...m, options: result.value };
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
  const r: Resolution = {
    where: file.filepath ?? 'command line',
    rootDir: file.filepath ? path.dirname(file.filepath) : path.resolve(options.cwd),
    content: file.content,
    overrides: options.overrides ?? {},
    searchDirs: pluginSearchDirs(file.filepath ? path.dirname(file.filepath) : path.resolve(options.cwd), options.cwd),
    sources: new Map(),
    fileSource: { kind: 'file', file: file.filepath ?? '' },
  };
  const list = pluginList(r);
  const modules: LoadedPluginModule[] = [];
  for (const spec of list.specs) modules.push(await loadPluginModule(spec, r.searchDirs, list.origin));
  const owners = configKeyOwners(modules);
  const fileCore = fileCoreValues(r, [...owners.keys()]);
  const core = layerCore(r, fileCore, flagCoreValues(r.overrides), list.specs);
  const plugins: ConfiguredPlugin[] = [];
  for (const m of modules) plugins.push(await configurePlugin(r, m));
  const workDir = path.resolve(r.rootDir, core.workDir);
  const commandLine = commandLineOf(options.configPath, r.overrides);
  return {
    core,
    plugins,
    filepath: file.filepath,
    rootDir: r.rootDir,
    workDir,
    sources: r.sources,
    commandLine,
    pluginSearchDirs: r.searchDirs,
  };
}
