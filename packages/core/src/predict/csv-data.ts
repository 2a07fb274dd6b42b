import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomicSync } from '../atomic-write.js';
import { ExitCode, HurricaneError } from '../errors.js';

/** Bad input files are usage errors: exit 2. */
const BAD_INPUT = { exitCode: ExitCode.BadUsage } as const;

/** The name of the target column of a latency CSV. */
export const LATENCY_COLUMN = 'latency_ms';

/** A latency data set read from CSV: numeric feature columns and, when the file has one, the latency per row. */
export interface LatencyTable {
  readonly file: string;
  /** Feature column names (every column except `latency_ms`), in file order. */
  readonly columns: readonly string[];
  readonly x: readonly (readonly number[])[];
  /** Latency per row (ms), or null when the file has no `latency_ms` column. */
  readonly y: readonly number[] | null;
}

function cell(file: string, line: number, column: string, text: string | undefined): number {
  const t = (text ?? '').trim();
  const v = t === '' ? Number.NaN : Number(t);
  if (!Number.isFinite(v)) {
    const what = t === '' ? 'is empty' : `is '${t.length > 40 ? `${t.slice(0, 40)}…` : t}', not a finite number`;
    throw new HurricaneError(
      `${file} row ${line}, column '${column}' ${what}: every feature and ${LATENCY_COLUMN} cell must be a number`,
      BAD_INPUT,
    );
  }
  return v;
}

/**
 * Reads a latency CSV (csv-parse): a header row, numeric feature columns and a `latency_ms` column
 * (`requireLatency`), comments starting with `#` allowed. Rows are numbered as lines of the file.
 * Every problem — a missing file, a ragged row, an empty or non-numeric cell, a negative latency,
 * a duplicated column — is one error naming the file, row and column.
 */
export function readLatencyCsv(file: string, o: { requireLatency: boolean }): LatencyTable {
  if (!existsSync(file))
    throw new HurricaneError(`${file} does not exist: give a CSV with a header row and a ${LATENCY_COLUMN} column`, BAD_INPUT);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(readFileSync(file, 'utf8'), {
      comment: '#',
      skip_empty_lines: true,
      trim: true,
      info: true,
      bom: true,
      relax_column_count: true,
    }) as unknown as typeof records;
  } catch (error) {
    throw new HurricaneError(`${file} is not valid CSV: ${(error as Error).message}`, BAD_INPUT);
  }
  const [head, ...body] = records;
  if (!head)
    throw new HurricaneError(`${file} is empty: it needs a header row naming the feature columns and ${LATENCY_COLUMN}`, BAD_INPUT);
  const header = head.record;
  const dup = header.find((c, i) => header.indexOf(c) !== i);
  if (dup !== undefined) throw new HurricaneError(`${file} header names column '${dup}' twice`, BAD_INPUT);
  const target = header.indexOf(LATENCY_COLUMN);
  if (target < 0 && o.requireLatency) {
    throw new HurricaneError(
      `${file} has no '${LATENCY_COLUMN}' column (header: ${header.slice(0, 6).join(', ')}${header.length > 6 ? ', …' : ''}): add the measured latency in milliseconds`,
      BAD_INPUT,
    );
  }
  const featureIdx = header.map((_, i) => i).filter((i) => i !== target);
  if (featureIdx.length === 0) throw new HurricaneError(`${file} has no feature columns besides ${LATENCY_COLUMN}`, BAD_INPUT);
  if (body.length === 0) throw new HurricaneError(`${file} has a header but no data rows`, BAD_INPUT);
  const x: number[][] = [];
  const y: number[] = [];
  for (const { record, info } of body) {
    if (record.length !== header.length) {
      throw new HurricaneError(
        `${file} row ${info.lines} has ${record.length} cells but the header has ${header.length} columns`,
        BAD_INPUT,
      );
    }
    x.push(featureIdx.map((i) => cell(file, info.lines, header[i] as string, record[i])));
    if (target >= 0) {
      const v = cell(file, info.lines, LATENCY_COLUMN, record[target]);
      if (v <= 0 && o.requireLatency)
        throw new HurricaneError(
          `${file} row ${info.lines}, column '${LATENCY_COLUMN}' is ${v}: latencies must be positive milliseconds`,
          BAD_INPUT,
        );
      y.push(v);
    }
  }
  return { file, columns: featureIdx.map((i) => header[i] as string), x, y: target >= 0 ? y : null };
}

/** Writes a latency CSV (csv-stringify) atomically: the feature columns, then `latency_ms` when `y` is given. */
export function writeLatencyCsv(file: string, columns: readonly string[], x: readonly (readonly number[])[], y?: readonly number[]): void {
  const rows = x.map((row, i) => (y ? [...row, y[i] as number] : [...row]));
  writeFileAtomicSync(file, stringify([y ? [...columns, LATENCY_COLUMN] : [...columns], ...rows]));
}
