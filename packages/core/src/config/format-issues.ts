import { closest, distance } from 'fastest-levenshtein';
import type { StandardResult } from '../contracts/plugin.js';

/** One validation problem, already phrased for a user. */
export interface ConfigProblem {
  /** Dotted key path, e.g. `scoring.alpha` or `snpe.serial`. */
  readonly path: string;
  /** What was wrong and how to fix it. */
  readonly message: string;
}

/** `a.b[2].c` for a path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out || '(root)';
}

/** JSON-ish rendering of a found value, short enough for one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array (${truncate(JSON.stringify(value))})`;
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${truncate(JSON.stringify(value))})`;
  if (typeof value === 'string') return `the string ${truncate(JSON.stringify(value))}`;
  return `${typeof value} ${String(value)}`;
}

function truncate(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The value at `path` inside `root`, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** "did you mean 'x'?" for a misspelt key, when something close exists. */
export function suggestion(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return '';
  const best = closest(word, [...candidates]);
  const lower = word.toLowerCase();
  const close = best.length > 0 && distance(lower, best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3));
  return close ? ` — did you mean '${best}'?` : '';
}

interface ZodLikeIssue {
  readonly code?: string;
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
  readonly expected?: unknown;
  readonly keys?: readonly string[];
  readonly values?: readonly unknown[];
  readonly minimum?: unknown;
  readonly maximum?: unknown;
  readonly inclusive?: boolean;
  readonly origin?: string;
  readonly format?: string;
}

/**
 * Turns schema issues (zod's or any Standard Schema's) into user-facing problems. `prefix` is the
 * path of the validated block inside the config (e.g. `['snpe']`); `input` the validated value.
 */
export function problemsFromIssues(
  issues: Extract<StandardResult<unknown>, { issues: unknown }>['issues'],
  input: unknown,
  prefix: readonly PropertyKey[],
  knownKeysAt: (path: readonly PropertyKey[]) => readonly string[] = () => [],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const raw of issues as readonly ZodLikeIssue[]) {
    const rel = (raw.path ?? []).map((p) => (typeof p === 'object' && p !== null ? p.key : p));
    const full = [...prefix, ...rel];
    const found = valueAt(input, rel);
    switch (raw.code) {
      case 'unrecognized_keys':
        for (const key of raw.keys ?? []) {
          const keyPath = formatPath([...full, key]);
          problems.push({
            path: keyPath,
            message: `unknown key '${keyPath}'${suggestion(key, knownKeysAt(rel))}; remove it or fix its spelling`,
          });
        }
        break;
      case 'invalid_type':
        problems.push({
          path: formatPath(full),
          message:
            found === undefined
              ? `'${formatPath(full)}' is required (expected ${String(raw.expected)})`
              : `'${formatPath(full)}' expected ${raw.expected === 'int' ? 'a whole number' : String(raw.expected)}, found ${describeValue(found)}`,
        });
        break;
      case 'invalid_value':
        problems.push({
          path: formatPath(full),
          message: `'${formatPath(full)}' expected one of ${(raw.values ?? []).map((v) => JSON.stringify(v)).join(', ')}, found ${describeValue(found)}${
            typeof found === 'string' ? suggestion(found, (raw.values ?? []).map(String)) : ''
          }`,
        });
        break;
      case 'too_small':
      case 'too_big': {
        const bound = raw.code === 'too_small' ? raw.minimum : raw.maximum;
        const op = raw.code === 'too_small' ? (raw.inclusive === false ? '>' : '≥') : raw.inclusive === false ? '<' : '≤';
        const what = raw.origin === 'string' ? 'a string of length' : raw.origin === 'array' ? 'an array of length' : 'a number';
        problems.push({
          path: formatPath(full),
          message: `'${formatPath(full)}' expected ${what} ${op} ${String(bound)}, found ${describeValue(found)}`,
        });
        break;
      }
      default:
        problems.push({
          path: formatPath(full),
          message: `'${formatPath(full)}': ${raw.message.replace(/^Invalid input: /, '')}, found ${describeValue(found)}`,
        });
    }
  }
  return problems;
}
