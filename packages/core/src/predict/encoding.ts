/**
 * `predict/` — what latency predictors are fitted on and judged by (docs/method.md §6): the one-hot encoding
 * of architectures of a reduced space, sampling, CSV data sets, splits, metrics, the uncertainty
 * helpers and the portable predictor file. The models themselves live in `@hurricane/predictors`
 * (or any plugin) behind the `PredictorFactory` contract. This room is pure Node: it may import
 * `space/`, `contracts/` and the leaf modules, never TF.js, ONNX Runtime, SQLite or hardware code.
 */
import { createHash } from 'node:crypto';
import { ExitCode, HurricaneError } from '../errors.js';

/** Bad input files are usage errors: exit 2. */
const BAD_INPUT = { exitCode: ExitCode.BadUsage } as const;
import type { Architecture } from '../space/architecture.js';

/** The part of a reduced space (`space.json`) an encoding depends on. */
export interface EncodableSpace {
  readonly preset: string;
  /** Per layer, the candidate operators in the space's order. */
  readonly candidates: readonly (readonly string[])[];
}

/** How an architecture becomes a feature row: the column names and, for Hurricane spaces, which space. */
export interface Encoding {
  /** Feature column names in order; for a space, `L{layer}_{operator}` (e.g. `L03_MB_5_3_SE`). */
  readonly columns: readonly string[];
  /** The preset of the space, or null for columns brought from elsewhere. */
  readonly preset: string | null;
  /** {@link spaceHash} of the space, or null for columns brought from elsewhere. */
  readonly spaceHash: string | null;
}

/** Column name of candidate `operator` of `layer`. */
export function columnName(layer: number, operator: string): string {
  return `L${String(layer).padStart(2, '0')}_${operator}`;
}

/** A short, stable identity of a space's encoding: SHA-256 (first 16 hex digits) of its preset and candidates. */
export function spaceHash(space: EncodableSpace): string {
  return createHash('sha256')
    .update(JSON.stringify({ preset: space.preset, candidates: space.candidates }))
    .digest('hex')
    .slice(0, 16);
}

/** The docs/method.md §6 encoding of a space: one binary slot per (layer, candidate). */
export function spaceEncoding(space: EncodableSpace): Encoding {
  return {
    columns: space.candidates.flatMap((ops, layer) => ops.map((op) => columnName(layer, op))),
    preset: space.preset,
    spaceHash: spaceHash(space),
  };
}

/**
 * One-hot encodes an architecture of `space`: 1 in the slot of each layer's operator, 0 elsewhere.
 * Throws naming the layer when the architecture has the wrong length or an operator the layer does not offer.
 */
export function encodeArchitecture(space: EncodableSpace, arch: Architecture): number[] {
  if (arch.length !== space.candidates.length) {
    throw new HurricaneError(
      `an architecture of ${arch.length} layers cannot be encoded for a ${space.candidates.length}-layer ${space.preset} space`,
      BAD_INPUT,
    );
  }
  const row: number[] = [];
  space.candidates.forEach((ops, layer) => {
    const at = ops.indexOf(arch[layer] as string);
    if (at < 0) {
      throw new HurricaneError(
        `layer ${layer} operator '${arch[layer]}' is not a candidate of the reduced space (candidates: ${ops.join(', ')})`,
        BAD_INPUT,
      );
    }
    for (let j = 0; j < ops.length; j++) row.push(j === at ? 1 : 0);
  });
  return row;
}

/**
 * Checks that feature columns are those an encoding expects (same names, same order); throws naming
 * the first difference. `where` names the data (a file) in the message.
 */
export function checkColumns(expected: Encoding, columns: readonly string[], where: string): void {
  const space = expected.preset ? ` (preset ${expected.preset}, space ${expected.spaceHash})` : '';
  if (columns.length !== expected.columns.length) {
    throw new HurricaneError(
      `${where} has ${columns.length} feature columns but the predictor expects ${expected.columns.length}${space}: encode the data for the same space the predictor was fitted on`,
      BAD_INPUT,
    );
  }
  const i = columns.findIndex((c, j) => c !== expected.columns[j]);
  if (i >= 0) {
    throw new HurricaneError(
      `${where} column ${i + 1} is '${columns[i]}' but the predictor expects '${expected.columns[i]}'${space}: the data were encoded for another space or in another order`,
      BAD_INPUT,
    );
  }
}
