import { closest, distance } from 'fastest-levenshtein';
import { ExitCode, HurricaneError } from '../errors.js';
import { layerContexts, type Backbone } from './backbone.js';
import { OPERATOR_NAMES, parseOperator } from './operators.js';

/** An architecture: one operator name per searchable layer. */
export type Architecture = readonly string[];

/** A bad architecture string or file. Exit code 2. */
export class ArchitectureError extends HurricaneError {
  constructor(message: string) {
    super(message, { exitCode: ExitCode.BadUsage });
  }
}

function near(word: string, options: readonly string[]): string {
  if (options.length === 0) return '';
  const best = closest(word, [...options]);
  return distance(word.toLowerCase(), best.toLowerCase()) <= 3 ? ` — did you mean '${best}'?` : '';
}

/**
 * Parses an architecture given as a comma-separated list (`Choice_3,MB_5_3_SE,…`) or as JSON (an
 * array of names, or an object with an `arch` array), and validates it against the backbone:
 * length, operator names, the operators the space allows, and (optionally) a reduced
 * per-layer space. Errors name the layer (1-based, as users count) and the fix.
 */
export function parseArchitecture(
  text: string,
  backbone: Backbone,
  options: { allowedPerLayer?: readonly (readonly string[])[]; source?: string } = {},
): Architecture {
  const source = options.source ?? 'architecture';
  const trimmed = text.trim();
  let names: unknown;
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      names = JSON.parse(trimmed);
    } catch (error) {
      throw new ArchitectureError(
        `${source}: not valid JSON (${(error as Error).message}); give a JSON array of operator names or a comma-separated list`,
      );
    }
    if (names !== null && typeof names === 'object' && !Array.isArray(names)) names = (names as { arch?: unknown }).arch;
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
      throw new ArchitectureError(`${source}: JSON must be an array of operator names (or { "arch": [...] })`);
    }
  } else {
    names = trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim());
  }
  return validateArchitecture(names as string[], backbone, { ...options, source });
}

/** Validates an architecture given as an array; see {@link parseArchitecture}. */
export function validateArchitecture(
  arch: readonly string[],
  backbone: Backbone,
  options: { allowedPerLayer?: readonly (readonly string[])[]; source?: string } = {},
): Architecture {
  const source = options.source ?? 'architecture';
  const n = layerContexts(backbone).length;
  if (arch.length !== n) {
    throw new ArchitectureError(
      `${source} has ${arch.length} layer${arch.length === 1 ? '' : 's'}, but the '${backbone.name}' backbone has ${n} searchable layers; give exactly ${n} operators`,
    );
  }
  arch.forEach((name, i) => {
    const layer = `layer ${i + 1}`;
    if (name === '') throw new ArchitectureError(`${source}: ${layer} is empty; write an operator name such as ${backbone.operators[0]}`);
    if (!parseOperator(name)) {
      throw new ArchitectureError(`${source}: ${layer}: '${name}' is not one of the 32 operators${near(name, OPERATOR_NAMES)}`);
    }
    if (!backbone.operators.includes(name)) {
      throw new ArchitectureError(
        `${source}: ${layer}: '${name}' is not in the '${backbone.name}' space (allowed: ${backbone.operators.join(', ')})`,
      );
    }
    const allowed = options.allowedPerLayer?.[i];
    if (allowed && !allowed.includes(name)) {
      throw new ArchitectureError(`${source}: ${layer}: '${name}' is not among this layer's candidates (${allowed.join(', ')})`);
    }
  });
  return [...arch];
}

/** The comma-separated form of an architecture. */
export function formatArchitecture(arch: Architecture): string {
  return arch.join(',');
}
