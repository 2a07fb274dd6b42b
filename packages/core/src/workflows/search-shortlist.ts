// The top candidates of the last search step measured on the hardware before retraining (issue 23,
// item 4): the predictor chose them, the device decides between them. "What to expect of hardware
// metric predictors" found that measuring the chosen candidates substantially improves results.
import { type EvaluatedCandidate, better } from '../search/evolution.js';
import type { IterationResult } from '../search/coordinate-ascent.js';
import { addVerifiedArchitecture } from './predictor-dataset.js';
import { measureNetworks } from './profile-run.js';
import type { Shortlist, ShortlistedCandidate, TargetLatency } from '../report/search-summaries.js';
import { type RunContext, otherTarget, spaceOf } from './search-context.js';
import { type TargetBudget, predictorModel } from './search-latency.js';
import type { HurricaneSession } from '../session/session.js';
import type { Architecture } from '../space/architecture.js';

/** Measurements of each shortlisted candidate, each one batch of all of them (their median is compared with the budget). */
export const SHORTLIST_SESSIONS = 3;

/** The `k` best candidates of a step by fitness (ties: lower loss, then lower predicted latency). */
export function topCandidates(step: IterationResult, k: number): EvaluatedCandidate[] {
  return [...step.evaluated].sort(better).slice(0, k);
}

/** The most accurate candidate that meets the budget by measurement; when none does, the fastest measured. */
export function chooseMeasured(candidates: readonly { measuredMs: number; met: boolean }[]): { chosen: number; met: boolean } {
  const first = candidates.findIndex((c) => c.met);
  if (first >= 0) return { chosen: first, met: true };
  let fastest = 0;
  candidates.forEach((c, i) => {
    if (c.measuredMs < (candidates[fastest] as { measuredMs: number }).measuredMs) fastest = i;
  });
  return { chosen: fastest, met: false };
}

const ms = (v: number) => `${v.toFixed(3)} ms`;

/** The median of each candidate's measurements on target `s`: one batch of all of them per session. */
async function measuredTogether(c: RunContext, s: HurricaneSession, archs: readonly Architecture[]): Promise<number[]> {
  const sessions: number[][] = archs.map(() => []);
  for (let k = 0; k < SHORTLIST_SESSIONS; k++) {
    const batch = await measureNetworks(s, archs, c.signal);
    for (const [i, m] of batch.entries()) sessions[i]?.push(m.medianMs);
  }
  for (const a of archs) addVerifiedArchitecture(s, a);
  return sessions.map((xs) => [...xs].sort((a, b) => a - b)[Math.floor(SHORTLIST_SESSIONS / 2)] as number);
}

/** Each candidate on each other target of the run: measured, predicted, and against that target's budget. */
async function otherTargets(c: RunContext, archs: readonly Architecture[], budgets: readonly TargetBudget[]): Promise<TargetLatency[][]> {
  const per: TargetLatency[][] = archs.map(() => []);
  const space = spaceOf(c);
  for (const b of budgets) {
    const s = otherTarget(c, b.target);
    const measured = await measuredTogether(c, s, archs);
    const predicted = predictorModel(c, space, s).predict(archs).mean;
    for (const [i, m] of measured.entries())
      per[i]?.push({ target: b.target, budgetMs: b.budgetMs, measuredMs: m, predictedMs: predicted[i] as number, met: m <= b.budgetMs });
  }
  return per;
}

/**
 * Measures the `search.verifyTopK` best candidates of the last step on the hardware (on every
 * target of a search on several), adds them to every later data set of the space, and chooses the
 * winner by measurement. Null when it is off or the run has no latency limit (the costs are exact:
 * nothing to verify).
 */
export async function shortlistPhase(
  c: RunContext,
  last: IterationResult,
  budgetMs: number | undefined,
  others: readonly TargetBudget[] = [],
): Promise<Shortlist | null> {
  const k = c.session.config.core.search.verifyTopK;
  if (k === 0 || budgetMs === undefined) return null;
  const top = topCandidates(last, k);
  const where = others.length > 0 ? `on ${[c.session.target.name, ...others.map((o) => o.target)].join(' and ')}` : 'on the hardware';
  const budgets = [`the ${budgetMs} ms budget`, ...others.map((o) => `${o.budgetMs} ms on ${o.target}`)].join(', ');
  c.log(`verifying the top ${top.length} candidates ${where} (measured together, ${SHORTLIST_SESSIONS} times) against ${budgets}`);
  // the candidates measured together, in one batch per session, so that the device's drift hits them alike
  const archs = top.map((t) => t.arch);
  const measured = await measuredTogether(c, c.session, archs);
  const onOthers = await otherTargets(c, archs, others);
  const candidates = top.map((cand, i): ShortlistedCandidate => {
    const measuredMs = measured[i] as number;
    const more = onOthers[i] as TargetLatency[];
    const met = measuredMs <= budgetMs && more.every((t) => t.met);
    const also = more.map((t) => `, ${ms(t.measuredMs)} on ${t.target}${t.met ? '' : ' (OVER)'}`).join('');
    c.log(
      `  #${i + 1}: ${(cand.accuracy * 100).toFixed(2)} % fitness, ${ms(measuredMs)} measured${also}, ${ms(cand.latencyMs)} predicted — ${met ? 'meets the budget' : 'OVER the budget'}${others.length > 0 && met ? 's' : ''}`,
    );
    return {
      arch: cand.arch,
      accuracy: cand.accuracy,
      predictedMs: cand.latencyMs,
      measuredMs,
      met,
      ...(others.length > 0 ? { targets: more } : {}),
    };
  });
  const { chosen, met } = chooseMeasured(candidates);
  if (!met) {
    const range = (xs: number[]) => `${ms(Math.min(...xs))}–${ms(Math.max(...xs))}`;
    const what = others.length > 0 ? 'every budget' : `the ${budgetMs} ms budget`;
    c.log(
      `WARNING: none of the top ${candidates.length} candidates meets ${what} on the hardware (measured ${range(candidates.map((x) => x.measuredMs))}, predicted ${range(candidates.map((x) => x.predictedMs))}); retraining the fastest measured, #${chosen + 1}. The predictor underestimates these networks: their measurements now join its data set, so re-run with --from dataset; or raise search.verifyTopK, or lower search.budgetMs (search.confidence with a predictor that has a std keeps a margin)`,
    );
  } else if (chosen > 0)
    c.log(
      `the evolution's best measures over the budget; the winner is #${chosen + 1}, the most accurate candidate that meets it on the hardware`,
    );
  return { budgetMs, candidates, chosen, met };
}
