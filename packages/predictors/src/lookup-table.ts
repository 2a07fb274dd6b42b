import type { FeatureContext, PredictionBatch, Predictor, PredictorFactory, SerializedPredictor } from '@hurricane/core/plugin';
import { fitScaleOffset } from '@hurricane/core/predict';
import { z } from 'zod';
import { checkModelFormat, checkRows, checkTargets, parseOptions } from './rows.js';

const optionsSchema = z.object({}).strict();

interface TableState {
  /** Per column, the profiled operator latency (ms). */
  readonly table: number[];
  readonly scale: number;
  readonly offset: number;
}

/**
 * The additive lookup-table baseline: a network's latency as the sum of its operators' profiled
 * latencies (each column's `operatorLatencyMs`), with a scale and offset fitted by least squares
 * (what the sum misses: the stem, the head, memory traffic between layers, the per-call floor).
 * The figure every learned predictor has to beat. A point predictor: no standard deviation.
 */
export class LookupTablePredictor implements Predictor {
  readonly kind = 'lut';
  private state: TableState | null = null;

  constructor(private readonly table: readonly number[]) {}

  private sums(x: readonly (readonly number[])[]): number[] {
    return x.map((row) => row.reduce((a, v, j) => a + v * (this.table[j] as number), 0));
  }

  async fit(x: readonly (readonly number[])[], y: readonly number[]): Promise<void> {
    checkRows('lut', x, this.table.length);
    checkTargets('lut', y, x.length, 2);
    const { scale, offset } = fitScaleOffset(this.sums(x), y);
    this.state = { table: [...this.table], scale, offset };
  }

  predict(x: readonly (readonly number[])[]): PredictionBatch {
    const st = this.state;
    if (!st) throw new Error('lut: predict() called before fit()');
    checkRows('lut', x, this.table.length);
    return { mean: this.sums(x).map((v) => st.scale * v + st.offset) };
  }

  serialize(): SerializedPredictor {
    if (!this.state) throw new Error('lut: serialize() called before fit()');
    return { kind: this.kind, version: 1, hyperparameters: { scale: this.state.scale, offset: this.state.offset }, state: this.state };
  }

  static deserialize(data: SerializedPredictor): LookupTablePredictor {
    checkModelFormat('lut', data, 1);
    const s = data.state as TableState;
    if (!s || !Array.isArray(s.table) || typeof s.scale !== 'number' || typeof s.offset !== 'number') {
      throw new Error('lut: the saved model is incomplete (needs table, scale, offset)');
    }
    const p = new LookupTablePredictor(s.table);
    p.state = s;
    return p;
  }
}

export const lookupTableFactory: PredictorFactory = {
  kind: 'lut',
  description: 'additive lookup table: the sum of the profiled operator latencies, with a fitted scale and offset (baseline)',
  hasUncertainty: false,
  create(options: Readonly<Record<string, unknown>>, features: FeatureContext) {
    parseOptions('lut', optionsSchema, options);
    const table = features.operatorLatencyMs;
    if (!table) {
      throw new RangeError(
        "lut: the data carry no profiled operator latencies; fit on a data set written by 'hurricane predictor dataset' (its .meta.json has them)",
      );
    }
    if (table.length !== features.columns.length)
      throw new RangeError(`lut: ${table.length} operator latencies for ${features.columns.length} columns`);
    return new LookupTablePredictor(table);
  },
  deserialize: (data) => LookupTablePredictor.deserialize(data),
};
