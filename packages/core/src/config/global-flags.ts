// The global flags of `hurricane`, in one table: the CLI builds its Commander options from it, the
// resolver reads the overrides and their provenance (`--seed` in `hurricane config`, the flags a
// hint repeats) from it. A flag added here is a flag everywhere.
import { redactUrl } from '../redact.js';
import { ENGINE_NAMES, LOG_LEVELS, PRESET_NAMES } from './schema.js';

/** One global flag. */
export interface GlobalFlag {
  /** The config key it overrides (`plugins`, `hardware`, …), or `config` for `--config`, which picks the file. */
  readonly key: string;
  /** Commander's flag syntax, e.g. `--work-dir <dir>`. */
  readonly syntax: string;
  readonly description: string;
  /** Allowed values, checked by Commander (`.choices()`). */
  readonly choices?: readonly string[];
  /** Repeatable: every occurrence is collected into a list. */
  readonly repeatable?: boolean;
  /** How the value is shown in hints and provenance (default: as given). */
  readonly show?: (value: string) => string;
}

/** Every global flag, in the order `hurricane --help` lists them. */
export const GLOBAL_FLAGS = [
  {
    key: 'config',
    syntax: '-c, --config <file>',
    description: 'config file (default: search hurricane.config.*, .hurricanerc*, package.json#hurricane)',
  },
  { key: 'hardware', syntax: '--hardware <id>', description: 'adapter id to use, e.g. arm-cpu, snpe-dsp, openvino' },
  { key: 'preset', syntax: '--preset <name>', description: 'search-space preset', choices: PRESET_NAMES },
  { key: 'seed', syntax: '--seed <n>', description: 'random seed of the run' },
  { key: 'workDir', syntax: '--work-dir <dir>', description: 'folder for run state (default .hurricane)' },
  {
    key: 'plugins',
    syntax: '--plugin <spec>',
    description: "a plugin to load instead of the config's (package, short name or path); repeat for several",
    repeatable: true,
  },
  { key: 'logLevel', syntax: '--log-level <level>', description: 'log level', choices: LOG_LEVELS },
  {
    key: 'engine',
    syntax: '--engine <name>',
    description: 'TF.js engine for training and evaluation (default auto)',
    choices: ENGINE_NAMES,
  },
  {
    key: 'farm',
    syntax: '--farm <redis-url>',
    description:
      'measure on a device farm through this Redis (redis:// or rediss://; password also from HURRICANE_FARM_PASSWORD); agents serve it with `hurricane agent`',
    show: redactUrl,
  },
] as const satisfies readonly GlobalFlag[];

type FlagKey = (typeof GLOBAL_FLAGS)[number]['key'];
type OverrideKey = Exclude<FlagKey, 'config'>;

/** Settings given on the command line (`--farm` sets `farm.url`); each wins over the file. */
export type ConfigOverrides = {
  readonly [K in OverrideKey]?: K extends 'plugins' ? readonly string[] : K extends 'seed' ? number | string : string;
};

/** The long flag of a table entry: `--work-dir` for `--work-dir <dir>`. */
export function longFlag(f: GlobalFlag): string {
  return f.syntax.match(/--[\w-]+/)?.[0] ?? f.syntax;
}

/** The global flag that sets config key `key` (`--plugin` for `plugins`). */
export function flagOf(key: string): string {
  const f = (GLOBAL_FLAGS as readonly GlobalFlag[]).find((g) => g.key === key);
  return f ? longFlag(f) : key;
}

/** Commander's attribute name of a flag (`workDir` for `--work-dir`). */
export function attributeOf(f: GlobalFlag): string {
  return longFlag(f)
    .slice(2)
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The overrides in Commander's parsed options (`program.opts()`), and `--config`. */
export function overridesFrom(opts: Readonly<Record<string, unknown>>): { configPath?: string; overrides: ConfigOverrides } {
  const overrides: Record<string, unknown> = {};
  let configPath: string | undefined;
  for (const f of GLOBAL_FLAGS as readonly GlobalFlag[]) {
    const value = opts[attributeOf(f)];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    if (f.key === 'config') configPath = String(value);
    else overrides[f.key] = value;
  }
  return { ...(configPath !== undefined ? { configPath } : {}), overrides: overrides as ConfigOverrides };
}

/** The command-line settings that chose this run's config and values, as flags a hint repeats (passwords hidden). */
export function commandLineOf(configPath: string | undefined, overrides: ConfigOverrides): string[] {
  const quote = (v: string) => (/^[\w./@:=+-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`);
  const out: string[] = [];
  for (const f of GLOBAL_FLAGS as readonly GlobalFlag[]) {
    const value = f.key === 'config' ? configPath : overrides[f.key as OverrideKey];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push(longFlag(f), quote(f.show ? f.show(String(v)) : String(v)));
  }
  return out;
}
