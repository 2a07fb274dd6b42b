// The report of a search (`report.md`, `report.html` and two SVG charts) made from what the run
// recorded. Pure rendering: the workflow reads the run folder and writes the files.
import { Marked, type Tokens } from 'marked';
import type { ReducedSpace } from '../profile/reduction.js';
import type { IterationResult } from '../search/coordinate-ascent.js';
import type { Architecture } from '../space/architecture.js';
import { type Backbone, layerContexts } from '../space/backbone.js';
import { candidatesChart, paretoFront, renderSvg, stepsChart } from './charts.js';
import type { RetrainSummary, VerifySummary } from './search-summaries.js';

/** What a search report shows: the run's record and results. */
export interface SearchReportData {
  /** Who started the run, when, with which seed (`run.json`). */
  readonly record: { readonly seed: number; readonly startedAt: string; readonly createdBy: string } | null;
  readonly iterations: readonly IterationResult[];
  readonly retrain: RetrainSummary | null;
  readonly verify: VerifySummary | null;
  readonly space: ReducedSpace;
  readonly backbone: Backbone;
  readonly budgetMs: number;
  readonly baseline: boolean;
  readonly winner: Architecture;
  readonly candidates: readonly (readonly string[])[];
}

const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
const ms = (v: number) => `${v.toFixed(3)} ms`;
const mega = (v: number) => `${(v / 1e6).toFixed(2)} M`;

/** The characters that would turn a recorded value into Markdown or HTML. */
const MARKUP = /[\\`*_[\]|<>&~]/g;

/**
 * A value the run recorded from elsewhere (a device name a farm agent announced, an adapter id, a
 * version string), as literal Markdown text: every character that means something is escaped, so
 * the value can neither open HTML nor a link nor a table cell.
 */
export function mdText(value: string): string {
  return value.replace(MARKUP, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`));
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The report's Markdown renderer: raw HTML in the source is shown as text, never passed through,
 * and a link keeps its target only when it is a relative file (the report links its own charts).
 */
const toHtml = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html: (t: Tokens.HTML | Tokens.Tag) => escapeHtml(t.text),
    link(t: Tokens.Link) {
      const text = this.parser.parseInline(t.tokens);
      return /^[\w./-]+$/.test(t.href) && !t.href.includes('..') ? `<a href="${escapeHtml(t.href)}">${text}</a>` : text;
    },
  },
});

/** A Markdown table. */
function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The winner's figures and its layers. */
function winnerSections(ctx: SearchReportData): string[] {
  const { retrain, verify } = ctx;
  const contexts = layerContexts(ctx.backbone);
  const predicted = (v: VerifySummary) =>
    `${ms(v.predictedMs)}${v.predictedStdMs !== undefined ? ` ± ${v.predictedStdMs.toFixed(3)}` : ''}`;
  const figures = [
    retrain ? pct(retrain.testAccuracy) : '–',
    verify ? ms(verify.measuredMs) : '–',
    verify ? predicted(verify) : '–',
    verify ? mega(verify.flops) : '–',
    verify ? mega(verify.params) : '–',
    verify ? (verify.withinBudget ? 'yes' : '**NO — over budget**') : '–',
  ];
  const layers = ctx.winner.map((op, l) => {
    const c = contexts[l];
    return [l, c?.stage ?? '', c ? `${c.h}x${c.w}x${c.cin} s${c.stride}` : '', `\`${op}\``, ctx.candidates[l]?.length ?? ''];
  });
  return [
    '## Winner',
    table(['test accuracy', 'measured latency', 'predicted latency', 'FLOPs', 'params', 'within budget'], [figures]),
    table(['layer', 'stage', 'input', 'operator', 'candidates'], layers),
  ];
}

/** One row per coordinate-ascent iteration. */
function stepsSections(ctx: SearchReportData): string[] {
  const head = [
    'step',
    'active layers',
    'supernet iterations',
    'loss EMA',
    'stopped by',
    'evaluated',
    'rejected by budget',
    'best validation',
  ];
  const rows = ctx.iterations.map((it) => [
    ...[it.iteration, `${it.activeLayers[0]}–${it.activeLayers.at(-1)}`, it.training.steps, it.training.lossEma.toFixed(4)],
    ...[it.training.stoppedBy, it.evaluated.length, it.rejected, pct(it.best.accuracy)],
  ]);
  return ['## Search steps', table(head, rows)];
}

/** The hardware's Table 1: the kept operators per layer with their latencies. */
function profileSections(ctx: SearchReportData): string[] {
  const rows = ctx.space.layers.map((l) => [
    l.layer,
    l.kept.map((op) => `${op} (${l.ranking.find((r) => r.operator === op)?.latencyMs.toFixed(4)})`).join(', '),
    l.exploring ?? '–',
  ]);
  return [
    `## Operator profile of ${mdText(ctx.space.adapterId)} (Table 1): the kept operators per layer, best score first`,
    table(['layer', 'kept (latency ms)', 'exploring'], rows),
  ];
}

/** The report's content as sections of Markdown, plus the two charts as SVG. */
async function content(ctx: SearchReportData) {
  const { record, iterations } = ctx;
  const all = iterations.flatMap((it) => it.evaluated.map((c) => ({ ...c, iteration: it.iteration })));
  const front = paretoFront(all);
  const winnerKey = ctx.winner.join(',');
  const last = iterations.at(-1)?.iteration;
  const points = all.map((c, i) => ({ ...c, pareto: front.has(i), winner: c.arch.join(',') === winnerKey && c.iteration === last }));
  const steps = iterations.reduce((a, it) => a + it.training.steps, 0);
  const md = [
    `# Hurricane search report — ${ctx.baseline ? 'SPOS baseline' : 'HURRICANE'} on ${mdText(ctx.space.adapterId)} (${mdText(ctx.space.device)})`,
    [
      `- preset **${ctx.backbone.name}**, seed ${record?.seed}, started ${mdText(String(record?.startedAt))}, ${mdText(String(record?.createdBy))}`,
      `- latency budget **${ctx.budgetMs} ms**; ${all.length} candidates evaluated, ${steps} supernet training iterations`,
      `- winner: \`${ctx.winner.join(' ')}\``,
    ].join('\n'),
    ...winnerSections(ctx),
    ...stepsSections(ctx),
    ...profileSections(ctx),
  ];
  const scatter = await renderSvg(candidatesChart(points, ctx.budgetMs));
  const bars = await renderSvg(stepsChart(iterations.map((it) => ({ step: `iteration ${it.iteration}`, steps: it.training.steps }))));
  return { md, scatter, bars };
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}th{background:#f3f3f3}code{background:#f6f6f6;padding:0 3px}figure{margin:1.5em 0}`;

/** A rendered search report: Markdown (charts as SVG files beside it), self-contained HTML (SVG inline, no scripts, no CDN) and the SVG files. */
export interface RenderedReport {
  readonly markdown: string;
  readonly html: string;
  /** File name → SVG, the charts the Markdown links to. */
  readonly charts: Readonly<Record<string, string>>;
}

/** Renders the report of a search. */
export async function renderSearchReport(data: SearchReportData): Promise<RenderedReport> {
  const { md, scatter, bars } = await content(data);
  const links = ['![accuracy vs latency](candidates.svg)', '![supernet iterations](supernet-steps.svg)'];
  const markdown = `${[...md.slice(0, 4), ...links, ...md.slice(4)].join('\n\n')}\n`;
  const body = md.map((section) => toHtml.parse(section) as string);
  body.splice(4, 0, `<figure>${scatter}</figure>`, `<figure>${bars}</figure>`);
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Hurricane search report</title><style>${STYLE}</style></head><body>\n${body.join('\n')}\n</body></html>\n`;
  return { markdown, html, charts: { 'candidates.svg': scatter, 'supernet-steps.svg': bars } };
}
