// The report of a search (`report.md`, `report.html` and two SVG charts) made from what the run
// recorded. Pure rendering: the workflow reads the run folder and writes the files.
import { Marked, type Tokens } from 'marked';
import type { ReducedSpace } from '../profile/reduction.js';
import type { IterationResult } from '../search/coordinate-ascent.js';
import type { FitnessNoise } from '../search/fitness-noise.js';
import type { RankAgreement } from '../search/rank-check.js';
import type { Architecture } from '../space/architecture.js';
import { type Backbone, layerContexts } from '../space/backbone.js';
import { candidatesChart, renderSvg, stepsChart } from './charts.js';
import { paretoFront } from '../search/pareto.js';
import type { RankCheckSummary, RetrainSummary, Shortlist, VerifiedLimit, VerifySummary } from './search-summaries.js';

/** What a search report shows: the run's record and results. */
export interface SearchReportData {
  /** Who started the run, when, with which seed (`run.json`). */
  readonly record: { readonly seed: number; readonly startedAt: string; readonly createdBy: string } | null;
  readonly iterations: readonly IterationResult[];
  readonly retrain: RetrainSummary | null;
  readonly verify: VerifySummary | null;
  /** The rank check, when it ran. */
  readonly rankCheck: RankCheckSummary | null;
  readonly space: ReducedSpace;
  readonly backbone: Backbone;
  /** The latency budget (absent without a latency limit), the cost limits, and the share (0–1) of the searched space they admit (absent in runs recorded before it). */
  readonly budget: {
    readonly budgetMs?: number;
    readonly costLimits?: readonly { readonly metric: string; readonly max: number }[];
    readonly admitted?: number;
    /** The latency budgets on the other targets of a search on several. */
    readonly targets?: readonly { readonly target: string; readonly budgetMs: number }[];
  };
  /** The name of the run's first target (the one the predicted latencies of the chart are on). */
  readonly target?: string;
  readonly baseline: boolean;
  /** The baseline's space (`search.baselineSpace`), when it is the baseline. */
  readonly baselineSpace?: 'full' | 'reduced';
  readonly winner: Architecture;
  readonly candidates: readonly (readonly string[])[];
  /** The top candidates measured on the hardware before retraining (absent when not verified). */
  readonly shortlist?: Shortlist;
}

/** The top candidates of the last step as measured on the hardware, and which one was retrained. */
function shortlistSections(s: Shortlist | undefined): string[] {
  if (!s) return [];
  const others = (s.candidates[0]?.targets ?? []).map((t) => t.target);
  const rows = s.candidates.map((c, i) => [
    i === s.chosen ? `**${i + 1} (winner)**` : i + 1,
    pct(c.accuracy),
    ms(c.predictedMs),
    ms(c.measuredMs),
    ...(c.targets ?? []).flatMap((t) => [ms(t.predictedMs), `${ms(t.measuredMs)}${t.met ? '' : ' (over)'}`]),
    c.met ? 'yes' : '**no**',
    `\`${c.arch.join(' ')}\``,
  ]);
  const latencyHead = others.length === 0 ? ['predicted', 'measured'] : ['predicted', 'measured'].map((h) => `${h} (first target)`);
  const more = others.flatMap((t) => [`predicted on ${mdText(t)}`, `measured on ${mdText(t)}`]);
  const budgets = [`${s.budgetMs} ms`, ...others.map((t, k) => `${s.candidates[0]?.targets?.[k]?.budgetMs} ms on ${mdText(t)}`)].join(', ');
  const note = s.met
    ? `The winner is the most accurate of the ${s.candidates.length} best candidates (by supernet fitness) that meets ${others.length > 0 ? 'every budget' : 'the budget'} (${budgets}) as measured on the hardware.`
    : `**None of the ${s.candidates.length} best candidates meets ${others.length > 0 ? 'every budget' : 'the budget'} (${budgets}) as measured**: the fastest measured was retrained. Their measurements joined the predictor's data set: re-run with \`--from dataset\`, or raise \`search.verifyTopK\`.`;
  return [
    '## Top candidates verified on the hardware',
    note,
    table(
      ['rank by fitness', 'fitness', ...latencyHead, ...more, others.length > 0 ? 'meets every budget' : 'meets budget', 'architecture'],
      rows,
    ),
  ];
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
    ...limitsSections(verify?.limits),
    table(['layer', 'stage', 'input', 'operator', 'candidates'], layers),
  ];
}

/** How each limit reads in the report. */
const LIMIT_NAMES: Readonly<Record<VerifiedLimit['metric'], string>> = {
  latency: 'latency (ms, measured)',
  flops: 'FLOPs (multiply-adds)',
  params: 'params',
  peakMemory: 'peak activation memory (bytes)',
};

/** The winner's value for every limit of a run with cost limits (latency measured, costs exact). */
function limitsSections(limits: readonly VerifiedLimit[] | undefined): string[] {
  if (!limits || limits.every((l) => l.metric === 'latency' && l.target === undefined)) return [];
  const value = (l: VerifiedLimit, v: number) => (l.metric === 'latency' ? v.toFixed(3) : String(Math.round(v)));
  const rows = limits.map((l) => [
    `${LIMIT_NAMES[l.metric]}${l.target !== undefined ? ` on ${mdText(l.target)}` : ''}`,
    value(l, l.max),
    value(l, l.value),
    l.predicted !== undefined ? value(l, l.predicted) : '–',
    l.met ? 'yes' : '**NO**',
  ]);
  return [table(['limit', 'at most', 'winner', 'predicted', 'met'], rows)];
}

/** One row per coordinate-ascent iteration. */
function stepsSections(ctx: SearchReportData): string[] {
  const head = [
    'step',
    'active layers',
    'supernet iterations',
    'loss EMA',
    'stopped by',
    'within budget',
    'evaluated',
    'rejected by budget',
    'best validation',
  ];
  const rows = ctx.iterations.map((it) => [
    ...[it.iteration, `${it.activeLayers[0]}–${it.activeLayers.at(-1)}`, it.training.steps, it.training.lossEma.toFixed(4)],
    ...[it.training.stoppedBy, it.admitted === undefined ? '—' : pct(it.admitted), it.evaluated.length, it.rejected, pct(it.best.accuracy)],
  ]);
  return ['## Search steps', table(head, rows)];
}

/** Per iteration that checked it: the top candidates scored twice, and whether the winner's lead is within the noise. */
function noiseSections(ctx: SearchReportData): string[] {
  const checked = ctx.iterations.filter((it) => it.noise);
  const images = checked[0]?.noise?.validationImages;
  if (images === undefined) return [];
  const head = [
    'step',
    'top candidates',
    'Kendall τ',
    'binomial std',
    'recalibration std',
    "winner's lead",
    'noise of the lead',
    "winner's rank again",
  ];
  const rows = checked.map((it) => {
    const n = it.noise as FitnessNoise;
    const tau = Number.isFinite(n.kendallTau) ? n.kendallTau.toFixed(3) : '–';
    const lead = `${points(n.margin)}${n.withinNoise ? ' (**within the noise**)' : ''}`;
    return [
      it.iteration,
      n.candidates.length,
      tau,
      points(n.binomialStd),
      points(n.recalibrationStd),
      lead,
      points(n.noiseOfMargin),
      n.winnerRankAgain,
    ];
  });
  return [
    '## Fitness noise',
    `Each step's top candidates scored again after BatchNorm recalibration on an independent sample of training batches, on the same ${images} validation images. A lead below the noise of the lead (2·√2 times the combined std of one score) could go to another candidate with another sample.`,
    table(head, rows),
    ...checked.map((it) => `- step ${it.iteration}: ${noiseLine(noiseFigures(it.noise as FitnessNoise))}`),
  ];
}

/** The rank check: each path's supernet fitness against its accuracy trained on its own, and how well they agree. */
function rankCheckSections(ctx: SearchReportData): string[] {
  const r = ctx.rankCheck;
  if (!r || r.paths.length === 0) return [];
  const rows = r.paths.map((p, i) => [i === 0 ? 'winner' : i + 1, `\`${p.arch.join(' ')}\``, pct(p.fitness), pct(p.standalone)]);
  return [
    '## Rank check',
    `${r.paths.length} paths of step ${r.iteration}, spread over its fitness range, each trained on its own for ${r.steps} steps (cosine schedule) and scored on the validation images the supernet's fitness used. ${r.agreement ? agreementLine(r.agreement) : 'Fewer than three paths: no agreement figure.'}`,
    table(['path', 'architecture', 'supernet fitness', 'on its own'], rows),
  ];
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

/** The fitness-noise figures a summary keeps: {@link FitnessNoise} with the number of candidates for the list. */
export type NoiseFigures = Omit<FitnessNoise, 'candidates'> & { readonly candidates: number };

/** {@link FitnessNoise} as {@link NoiseFigures}. */
export const noiseFigures = ({ candidates, ...figures }: FitnessNoise): NoiseFigures => ({ ...figures, candidates: candidates.length });

const points = (v: number) => `${(v * 100).toFixed(2)} points`;

/** The fitness-noise figures in one line, saying plainly whether the winner's lead is within the noise. */
export function noiseLine(n: NoiseFigures): string {
  const tau = Number.isFinite(n.kendallTau) ? n.kendallTau.toFixed(3) : 'undefined (constant scores)';
  const lead = n.withinNoise
    ? `WITHIN the noise (${points(n.noiseOfMargin)}): another recalibration or validation sample could pick another winner`
    : `beyond the noise (${points(n.noiseOfMargin)})`;
  return (
    `fitness noise: Kendall τ ${tau} between two recalibrations of the top ${n.candidates}, ` +
    `binomial std ${points(n.binomialStd)} on ${n.validationImages} validation images, recalibration std ${points(n.recalibrationStd)}; ` +
    `the winner leads the runner-up by ${points(n.margin)}, ${lead}; it ranks ${n.winnerRankAgain} of ${n.candidates} when scored again`
  );
}

const num = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'undefined');

/** The rank check's figures in one line. */
export function agreementLine(a: RankAgreement): string {
  return (
    `Kendall τ ${num(a.kendallTau)} [${num(a.kendallInterval[0])}, ${num(a.kendallInterval[1])}], ` +
    `Spearman ρ ${num(a.spearmanRho)} [${num(a.spearmanInterval[0])}, ${num(a.spearmanInterval[1])}] ` +
    `(95 % bootstrap intervals) between supernet fitness and standalone accuracy over ${a.paths} paths; ` +
    `the winner ranks ${a.winnerRank} of ${a.paths} on its own`
  );
}

/** The budget's share of the searched space and of each step's sub-space, e.g. "50.0 % of the searched space, 98.2 % of iteration 1's sub-space". */
export function admittedShares(admitted: number | undefined, steps: readonly { iteration: number; admitted?: number }[]): string {
  const share = (v: number) => `${(v * 100).toFixed(1)} %`;
  const parts = [
    ...(admitted !== undefined ? [`${share(admitted)} of the searched space`] : []),
    ...steps.flatMap((s) => (s.admitted !== undefined ? [`${share(s.admitted)} of iteration ${s.iteration}'s sub-space`] : [])),
  ];
  return parts.join(', ');
}

/** Why a constraint that rejected nothing matters, and what to do. */
export function noRejectionAdvice(
  admitted: number | undefined,
  steps: readonly { iteration: number; admitted?: number }[] = [],
  limits = false,
): string {
  const shares = admittedShares(admitted, steps);
  if (limits)
    return `every candidate drawn met the limits${shares ? ` (they admit ${shares})` : ''}, so the search chose on accuracy alone; lower them in search.constraints if they should decide`;
  const share = shares ? ` (it admits ${shares})` : '';
  return `every candidate drawn met the budget${share}, so the search chose on accuracy alone; lower search.budgetMs if latency should decide`;
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
  const rejected = iterations.reduce((a, it) => a + it.rejected, 0);
  const { budgetMs, admitted, costLimits = [], targets = [] } = ctx.budget;
  const first = targets.length > 0 ? ` on ${mdText(ctx.target ?? ctx.space.adapterId)}` : '';
  const limits = [
    ...(budgetMs !== undefined ? [`latency budget${first} **${budgetMs} ms**`] : []),
    ...targets.map((t) => `latency budget on ${mdText(t.target)} **${t.budgetMs} ms**`),
    ...costLimits.map((l) => `${l.metric} ≤ **${l.max}**`),
  ];
  const shares = admittedShares(admitted, iterations);
  const share = shares ? `, which admits ${shares}` : '';
  const md = [
    `# Hurricane search report — ${ctx.baseline ? `SPOS baseline${ctx.baselineSpace === 'reduced' ? ' (reduced space)' : ''}` : 'HURRICANE'} on ${mdText(ctx.space.adapterId)} (${mdText(ctx.space.device)})`,
    [
      `- preset **${ctx.backbone.name}**, seed ${record?.seed}, started ${mdText(String(record?.startedAt))}, ${mdText(String(record?.createdBy))}`,
      `- ${costLimits.length > 0 ? 'limits ' : ''}${limits.join(', ')}${share}; ${all.length} candidates evaluated, ${rejected} draws rejected by the ${costLimits.length > 0 ? 'limits' : 'latency constraint'}, ${steps} supernet training iterations`,
      ...(rejected === 0 && iterations.length > 0
        ? [
            `- **Warning: the ${costLimits.length > 0 ? 'limits' : 'latency constraint'} rejected nothing**: ${noRejectionAdvice(admitted, iterations, costLimits.length > 0)}`,
          ]
        : []),
      `- winner: \`${ctx.winner.join(' ')}\``,
    ].join('\n'),
    ...winnerSections(ctx),
    ...shortlistSections(ctx.shortlist),
    ...stepsSections(ctx),
    ...noiseSections(ctx),
    ...rankCheckSections(ctx),
    ...profileSections(ctx),
  ];
  const scatter = await renderSvg(candidatesChart(points, budgetMs));
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
