import { closest, distance } from 'fastest-levenshtein';
import { ExitCode, HurricaneError } from '../errors.js';
import { layerContexts, layerList, skipLayersOf, type Backbone } from './backbone.js';
import { OPERATOR_NAMES, SKIP, parseOperator } from './operators.js';

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

/** The operator names of a JSON architecture: an array, `{ "arch": [...] }`, or a `space.json` (its `initialArch`). */
function namesFromJson(trimmed: string, backbone: Backbone, source: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    throw new ArchitectureError(
      `${source}: not valid JSON (${(error as Error).message}); give a JSON array of operator names or a comma-separated list`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const o = value as { arch?: unknown; format?: unknown; preset?: unknown; initialArch?: unknown };
  if (o.format !== 'hurricane-space') return o.arch;
  if (o.preset !== backbone.name)
    throw new ArchitectureError(
      `${source}: this space.json is for preset '${String(o.preset)}', not '${backbone.name}'; pass --preset ${String(o.preset)} or another file`,
    );
  return o.initialArch;
}

/**
 * Parses an architecture given as text: operator names separated by commas or newlines (one per
 * line; blank lines and `#` comments ignored), or JSON (an array of names, an object with an
 * `arch` array, or the `space.json` written by `hurricane space`, whose initial winner
 * `initialArch` it takes). Validates it against the backbone: length, operator names, the
 * operators the space allows, and (optionally) a reduced per-layer space. Errors name the layer
 * (1-based, as users count) and the fix.
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
    names = namesFromJson(trimmed, backbone, source);
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
      throw new ArchitectureError(`${source}: JSON must be an array of operator names, { "arch": [...] }, or a space.json`);
    }
  } else {
    const lines = trimmed.split(/\r?\n/).map((l) => l.replace(/#.*$/, '').trim());
    const body = lines.filter((l) => l !== '').join(',');
    names = body === '' ? [] : body.split(',').map((s) => s.trim());
  }
  return validateArchitecture(names as string[], backbone, { ...options, source });
}

/**
 * Checks one operator for one layer (1-based `layer`, as users count): the layer exists and the
 * operator is one of the backbone's. Every problem is a one-line {@link ArchitectureError} naming
 * the flag (`source`) and the valid range or the closest operator.
 */
export function validateLayerOperator(
  layer: number,
  operator: string,
  backbone: Backbone,
  source: { layer: string; operator: string } = { layer: 'layer', operator: 'operator' },
): void {
  const n = layerContexts(backbone).length;
  if (!Number.isInteger(layer) || layer < 1 || layer > n)
    throw new ArchitectureError(
      `${source.layer} must be a layer number from 1 to ${n} (the '${backbone.name}' backbone has ${n} searchable layers), got '${layer}'`,
    );
  checkOperator(operator, backbone, `${source.operator}: layer ${layer}`, layer - 1);
}

/**
 * Throws when `name` is not one of the 32 operators (or {@link SKIP}), or not one of the backbone's;
 * `where` starts the message. Skip is valid in any layer (0-based `layer`) whose input and output
 * shapes match.
 */
function checkOperator(name: string, backbone: Backbone, where: string, layer: number): void {
  if (!parseOperator(name))
    throw new ArchitectureError(`${where}: '${name}' is not one of the 32 operators${near(name, [...OPERATOR_NAMES, SKIP])}`);
  if (name === SKIP) {
    if (skipLayersOf(backbone).includes(layer)) return;
    throw new ArchitectureError(
      `${where}: Skip (the identity) needs a layer whose input and output shapes match; in the '${backbone.name}' backbone those are layers ${layerList(skipLayersOf(backbone))}`,
    );
  }
  if (!backbone.operators.includes(name))
    throw new ArchitectureError(`${where}: '${name}' is not in the '${backbone.name}' space (allowed: ${backbone.operators.join(', ')})`);
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
    checkOperator(name, backbone, `${source}: ${layer}`, i);
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
