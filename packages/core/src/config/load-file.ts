import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseJs } from 'acorn';
import { cosmiconfig } from 'cosmiconfig';
import { ConfigError, describeError } from '../errors.js';

/** The config file names Hurricane looks for, in order, in the working directory and up to the project root. */
export const CONFIG_SEARCH_PLACES = [
  'package.json',
  '.hurricanerc',
  '.hurricanerc.json',
  '.hurricanerc.yaml',
  '.hurricanerc.yml',
  '.hurricanerc.js',
  '.hurricanerc.mjs',
  '.hurricanerc.cjs',
  '.hurricanerc.ts',
  'hurricane.config.ts',
  'hurricane.config.mts',
  'hurricane.config.mjs',
  'hurricane.config.js',
  'hurricane.config.cjs',
  'hurricane.config.json',
  'hurricane.config.yaml',
  'hurricane.config.yml',
] as const;

/** A config file as read from disk, before validation. */
export interface RawConfigFile {
  /** Absolute path of the file, or null when none was found (defaults only). */
  readonly filepath: string | null;
  /** Its content (for package.json: the `hurricane` block). */
  readonly content: Record<string, unknown>;
}

function explorer() {
  return cosmiconfig('hurricane', {
    searchPlaces: [...CONFIG_SEARCH_PLACES],
    searchStrategy: 'project',
    cache: false,
    loaders: {
      '.mts': async (filepath: string, content: string) => {
        const { defaultLoaders } = await import('cosmiconfig');
        return defaultLoaders['.ts'](filepath, content);
      },
      // JavaScript configs are imported once, so a syntax error surfaces as itself (cosmiconfig's
      // own loader retries with require() and reports a misleading race instead).
      '.js': importConfig,
      '.mjs': importConfig,
      '.cjs': importConfig,
    },
  });
}

/**
 * Finds and reads the config: `configPath` when given (it must exist), else the first of
 * {@link CONFIG_SEARCH_PLACES} from `cwd` upwards to the nearest folder with a package.json.
 */
export async function loadConfigFile(options: { cwd: string; configPath?: string | undefined }): Promise<RawConfigFile> {
  const ex = explorer();
  let result: { filepath: string; config: unknown; isEmpty?: boolean } | null;
  if (options.configPath !== undefined) {
    const filepath = path.resolve(options.cwd, options.configPath);
    if (!existsSync(filepath) || !statSync(filepath).isFile()) {
      throw new ConfigError(`config file ${filepath} does not exist; check the --config path`);
    }
    try {
      result = await ex.load(filepath);
    } catch (error) {
      throw fileError(filepath, error);
    }
    if (result === null) throw new ConfigError(`${filepath} has no 'hurricane' block; add one or drop --config`);
  } else {
    try {
      result = await ex.search(options.cwd);
    } catch (error) {
      const filepath = (error as { filepath?: string }).filepath;
      throw fileError(filepath ?? '(config file)', error);
    }
  }
  if (result === null) return { filepath: null, content: {} };
  const config = result.isEmpty ? {} : result.config;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    const rel = result.filepath;
    throw new ConfigError(
      `${rel}: the config must be an object of settings (e.g. { "hardware": "arm-cpu" }), found ${Array.isArray(config) ? 'an array' : typeof config}`,
    );
  }
  return { filepath: result.filepath, content: config as Record<string, unknown> };
}

async function importConfig(filepath: string): Promise<unknown> {
  const mod = (await import(pathToFileURL(filepath).href)) as { default?: unknown };
  return mod.default ?? mod;
}

/** 1-based line and column of a 0-based offset in `text`. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

/**
 * Where and why a config file does not parse, from the parser's own report: js-yaml's reason and
 * mark, the JSON parser's position, or (JavaScript) acorn's location of the syntax error.
 */
function syntaxProblem(filepath: string, error: unknown): string | null {
  const e = error as { name?: string; reason?: string; mark?: { line: number; column: number }; message?: string };
  if (e.name === 'YAMLException' && e.reason && e.mark) return `${filepath}:${e.mark.line + 1}:${e.mark.column + 1}: ${e.reason}`;
  if (e.name === 'JSONError' || /\.json$|rc$/.test(filepath)) {
    const text = readFileSync(filepath, 'utf8');
    try {
      JSON.parse(text);
    } catch (json) {
      const m = /^(.*?)(?: in JSON)? at position (\d+)/.exec((json as Error).message);
      if (m) return `${filepath}:${lineColumn(text, Number(m[2]))}: ${m[1]}`;
      return `${filepath}: ${(json as Error).message}`;
    }
  }
  if (/\.(c|m)?js$/.test(filepath)) {
    // Whatever the loader said (Node's SyntaxError carries no location), acorn says where.
    const text = readFileSync(filepath, 'utf8');
    try {
      parseJs(text, { ecmaVersion: 'latest', sourceType: filepath.endsWith('.cjs') ? 'script' : 'module', allowHashBang: true });
    } catch (js) {
      const loc = (js as { loc?: { line: number; column: number } }).loc;
      const reason = (js as Error).message.replace(/ \(\d+:\d+\)$/, '');
      if (loc) return `${filepath}:${loc.line}:${loc.column + 1}: ${reason}`;
    }
  }
  return null;
}

function fileError(filepath: string, error: unknown): ConfigError {
  const problem = syntaxProblem(filepath, error);
  if (problem) return new ConfigError(`${problem}; fix the file's syntax`, { cause: error });
  const message = describeError(error).split('\n')[0] ?? '';
  if (/Cannot find (module|package) 'typescript'/.test(message)) {
    return new ConfigError(
      `${filepath}: loading a TypeScript config needs the 'typescript' package: run 'npm install -D typescript', or rename it to hurricane.config.mjs`,
      { cause: error },
    );
  }
  return new ConfigError(`${filepath} cannot be read: ${message}; fix the file's syntax`, { cause: error });
}
