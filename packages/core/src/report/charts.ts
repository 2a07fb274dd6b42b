import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/** One evaluated candidate as plotted. */
export interface PlottedCandidate {
  readonly latencyMs: number;
  readonly accuracy: number;
  readonly iteration: number;
  readonly generation: number;
  readonly pareto: boolean;
  readonly winner: boolean;
}

/** Renders a Vega-Lite spec to a standalone SVG string in Node (no browser, no canvas, no network). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Accuracy versus predicted latency of every evaluated candidate, with the budget line, the Pareto front and the winner. */
export function candidatesChart(points: readonly PlottedCandidate[], budgetMs: number | undefined): TopLevelSpec {
  const values = points.map((p) => ({ ...p, accuracyPct: p.accuracy * 100, iterationLabel: `iteration ${p.iteration}` }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Every evaluated candidate: validation accuracy vs predicted latency',
    width: 640,
    height: 380,
    layer: [
      {
        data: { values },
        mark: { type: 'point', filled: true, opacity: 0.55, size: 30 },
        encoding: {
          x: { field: 'latencyMs', type: 'quantitative', title: 'predicted latency (ms)', scale: { zero: false } },
          y: { field: 'accuracyPct', type: 'quantitative', title: 'validation accuracy (%)', scale: { zero: false } },
          color: { field: 'iterationLabel', type: 'nominal', title: 'search step', legend: { orient: 'bottom' } },
        },
      },
      {
        data: { values: values.filter((v) => v.pareto) },
        mark: { type: 'line', interpolate: 'step-after', color: '#222', strokeWidth: 1.5 },
        encoding: { x: { field: 'latencyMs', type: 'quantitative' }, y: { field: 'accuracyPct', type: 'quantitative' } },
      },
      {
        data: { values: values.filter((v) => v.winner) },
        mark: { type: 'point', shape: 'diamond', size: 220, filled: true, color: '#d62728' },
        encoding: { x: { field: 'latencyMs', type: 'quantitative' }, y: { field: 'accuracyPct', type: 'quantitative' } },
      },
      ...(budgetMs === undefined ? [] : budgetLayers(budgetMs)),
    ],
  };
}

/** The budget's dashed line and its label (a search without a latency limit has neither). */
function budgetLayers(budgetMs: number): NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> {
  return [
    {
      data: { values: [{ budgetMs }] },
      mark: { type: 'rule', color: '#d62728', strokeDash: [6, 4], strokeWidth: 2 },
      encoding: { x: { field: 'budgetMs', type: 'quantitative' } },
    },
    {
      data: { values: [{ budgetMs, label: `budget ${budgetMs} ms` }] },
      mark: { type: 'text', align: 'left', dx: 4, dy: -170, color: '#d62728' },
      encoding: { x: { field: 'budgetMs', type: 'quantitative' }, text: { field: 'label' } },
    },
  ];
}

/** Supernet training iterations (mini-batches) spent per search step. */
export function stepsChart(rows: readonly { step: string; steps: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Supernet training iterations per search step',
    width: 360,
    height: 40 + 28 * rows.length,
    data: { values: rows.map((r) => ({ ...r })) },
    mark: { type: 'bar', color: '#4c78a8' },
    encoding: {
      y: { field: 'step', type: 'nominal', title: null, sort: null },
      x: { field: 'steps', type: 'quantitative', title: 'training iterations' },
    },
  };
}
