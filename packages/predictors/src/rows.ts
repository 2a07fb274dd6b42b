import type { SerializedPredictor } from '@hurricane/core/plugin';
import type { z } from 'zod';

/** Checks rows of features: at least one, all of `width` (default: the first row's), every value finite. Returns the width. */
export function checkRows(kind: string, x: readonly (readonly number[])[], width?: number): number {
  if (x.length === 0) throw new RangeError(`${kind}: no rows`);
  const w = width ?? x[0]?.length ?? 0;
  if (w === 0) throw new RangeError(`${kind}: rows have no features`);
  x.forEach((row, i) => {
    if (row.length !== w) throw new RangeError(`${kind}: row ${i + 1} has ${row.length} features, the model expects ${w}`);
    const j = row.findIndex((v) => !Number.isFinite(v));
    if (j >= 0) throw new RangeError(`${kind}: row ${i + 1}, feature ${j + 1} is ${row[j]}, not a finite number`);
  });
  return w;
}

/** Checks targets: as many as rows, finite, and at least `min` of them. */
export function checkTargets(kind: string, y: readonly number[], rows: number, min: number): void {
  if (y.length !== rows) throw new RangeError(`${kind}: ${rows} rows but ${y.length} latencies`);
  const i = y.findIndex((v) => !Number.isFinite(v));
  if (i >= 0) throw new RangeError(`${kind}: latency ${i + 1} is ${y[i]}, not a finite number`);
  if (rows < min) throw new RangeError(`${kind}: needs at least ${min} rows to fit, got ${rows}`);
}

/** Parses a model's options with its zod schema; a bad or unknown option is one RangeError naming it (and, if unknown, the known ones). */
export function parseOptions<T extends z.ZodRawShape>(
  kind: string,
  schema: z.ZodObject<T>,
  options: Readonly<Record<string, unknown>>,
): z.infer<z.ZodObject<T>> {
  const r = schema.safeParse(options);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const known = Object.keys(schema.shape);
    throw new RangeError(
      `${kind}: unknown option '${issue.keys.join("', '")}' (${kind} takes ${known.length ? known.join(', ') : 'no options'})`,
    );
  }
  throw new RangeError(`${kind}: option '${issue?.path.join('.') ?? ''}' ${issue?.message ?? 'is invalid'}`);
}

/** Refuses a saved model of another kind or of a format version this package does not read, saying what to do. */
export function checkModelFormat(kind: string, data: SerializedPredictor, version: number): void {
  if (data.kind !== kind) throw new Error(`${kind}: cannot read a '${data.kind}' model`);
  if (data.version > version) {
    throw new Error(
      `${kind}: model format version ${data.version} is newer than this @hurricane/predictors reads (${version}); upgrade @hurricane/predictors`,
    );
  }
  if (data.version < version)
    throw new Error(`${kind}: model format version ${data.version} predates the released format (${version}); fit the model again`);
}

/** Column means of `x` (p columns) and the mean of `y`: the centring of the linear models. */
export function means(x: readonly (readonly number[])[], y: readonly number[], p: number): { xMean: number[]; yMean: number } {
  const n = x.length;
  return {
    xMean: Array.from({ length: p }, (_, j) => x.reduce((a, row) => a + (row[j] as number), 0) / n),
    yMean: y.reduce((a, b) => a + b, 0) / n,
  };
}
