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
import { redactUrlsIn } from '../redact.js';
import { type ConfigOverrides, commandLineOf, flagOf } from './global-flags.js';
import { CORE_BLOCKS, CORE_KEYS, blockKeys, parseSettings, pluginsSchema, type CoreConfig } from './schema.js';

export type { ConfigOverrides } from './global-flags.js';

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

/**
 * One target of the run: an adapter instance with its own options. Without a `targets` block the
 * run has one, named after `hardware`, with no options of its own.
 */
export interface TargetSpec {
  /** Its name: it names the target's folder under `workDir` and is what `--target` takes. */
  readonly name: string;
  /** The adapter id. */
  readonly adapter: string;
  /** Options that override the providing plugin's block for this target (checked by its schema at session start). */
  readonly options: Readonly<Record<string, unknown>>;
  /** With `farm.url`: the farm device that measures this target (default `farm.device`). */
  readonly farmDevice?: string;
}

/** The run's targets: the `targets` block in its order, else the one `hardware` names. */
function targetsOf(core: CoreConfig): TargetSpec[] {
  if (core.targets === undefined) return [{ name: core.hardware, adapter: core.hardware, options: {} }];
  return Object.entries(core.targets).map(([name, t]) => {
    const { adapter, farmDevice, ...options } = t;
    return { name, adapter, options, ...(farmDevice !== undefined ? { farmDevice } : {}) };
  });
}

/** A fully validated configuration. */
export interface ResolvedConfig {
  /** Core settings, every key present. */
  readonly core: CoreConfig;
  /** The run's targets (at least one): `targets`, or the one `hardware` names. */
  readonly targets: readonly TargetSpec[];
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
  // a bad farm.url is quoted in its problem: never with its password
  const [first, ...rest] = problems.map((p) => redactUrlsIn(`${where}: ${p.message}`));
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
    origin = flagOf('plugins');
    r.sources.set('plugins', { kind: 'flag', flag: origin });
  } else if ('plugins' in r.content) {
    const parsed = pluginsSchema.safeParse(r.content.plugins);
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

/** Top-level keys of the file that neither core nor a loaded plugin owns (a typo never passes silently). */
function unknownTopLevelKeys(r: Resolution, pluginKeys: readonly string[]): ConfigProblem[] {
  const allowed = [...CORE_KEYS, ...pluginKeys];
  return Object.keys(r.content)
    .filter((key) => !allowed.includes(key))
    .map((key) => ({
      path: key,
      message: `unknown key '${key}'${suggestion(key, allowed)}; remove it, fix its spelling, or add the plugin that owns it to 'plugins'`,
    }));
}

/** The command-line values as config keys: `--farm` is `farm.url`, a numeric `--seed` a number (checked as in a file). */
function flagValues(overrides: ConfigOverrides): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'plugins' || value === undefined) continue;
    const numeric = key === 'seed' && typeof value === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(value);
    out[key] = numeric ? Number(value) : key === 'farm' ? { url: value } : value;
  }
  return out;
}

/** File < flags, block by block (a flag sets one key of a block, the file's other keys stay). */
function layered(file: Record<string, unknown>, flags: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...file, ...flags };
  for (const block of Object.keys(CORE_BLOCKS)) {
    if (isPlainObject(file[block]) && isPlainObject(flags[block])) out[block] = { ...file[block], ...flags[block] };
  }
  return out;
}

/**
 * Defaults < file < flags for the core keys, validated in one pass by the schema (which holds the
 * defaults), recording where each leaf came from. A problem is reported against the file or, for
 * a value a flag gave, against the command line with the flag's name.
 */
function layerCore(r: Resolution, pluginKeys: readonly string[], plugins: string[]): CoreConfig {
  const fileCore: Record<string, unknown> = {};
  for (const key of CORE_KEYS) if (key !== 'plugins' && key in r.content) fileCore[key] = r.content[key];
  const flagCore = flagValues(r.overrides);
  const merged = layered(fileCore, flagCore);
  const parsed = parseSettings(merged);
  const fileProblems = unknownTopLevelKeys(r, pluginKeys);
  const flagProblems: ConfigProblem[] = [];
  if (!parsed.success) {
    for (const p of problemsFromIssues(parsed.error.issues, merged, [], (at) => (at.length === 1 ? blockKeys(String(at[0])) : []))) {
      if (!hasPath(flagCore, p.path)) fileProblems.push(p);
      else flagProblems.push({ ...p, message: p.message.replace(`'${p.path}'`, flagOf(p.path.split('.')[0] as string)) });
    }
  }
  if (parsed.success && parsed.data.targets !== undefined && (hasPath(fileCore, 'hardware') || hasPath(flagCore, 'hardware'))) {
    const message =
      "'hardware' is the shorthand for one target and cannot stand beside 'targets': remove it, and pick targets with --target <name>";
    if (hasPath(flagCore, 'hardware')) flagProblems.push({ path: 'hardware', message: message.replace("'hardware'", '--hardware') });
    else fileProblems.push({ path: 'hardware', message });
  }
  if (fileProblems.length > 0) fail(r.where, fileProblems);
  if (flagProblems.length > 0 || !parsed.success) fail('command line', flagProblems);
  const core = { ...parsed.data, plugins } as CoreConfig;
  for (const leaf of leaves(core, '', [])) {
    if (leaf === 'plugins') continue;
    if (hasPath(flagCore, leaf)) r.sources.set(leaf, { kind: 'flag', flag: flagOf(leaf.split('.')[0] as string) });
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
  const core = layerCore(r, [...owners.keys()], list.specs);
  const plugins: ConfiguredPlugin[] = [];
  for (const m of modules) plugins.push(await configurePlugin(r, m));
  const workDir = path.resolve(r.rootDir, core.workDir);
  const commandLine = commandLineOf(options.configPath, r.overrides);
  return {
    core,
    targets: targetsOf(core),
    plugins,
    filepath: file.filepath,
    rootDir: r.rootDir,
    workDir,
    sources: r.sources,
    commandLine,
    pluginSearchDirs: r.searchDirs,
  };
}
