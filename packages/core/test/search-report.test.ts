// The search report renders what agents and devices announced as text: a device name is data
// from the farm (any agent that can write to Redis chooses it), so it must not become markup.
import { describe, expect, it } from 'vitest';
import { Eq4Scoring } from '../src/profile/eq4-scoring.js';
import { reduceSpace } from '../src/profile/reduction.js';
import { mdText, renderSearchReport } from '../src/report/search-report.js';
import { PRESETS } from '../src/space/backbone.js';

const backbone = PRESETS.mnist();
const HOSTILE = '<img src=x onerror=alert(1)> [click](javascript:alert(2)) | **bold** `code` https://evil.example/x';

function report(device: string) {
  const meta = { adapterId: 'sim', device, deviceFingerprint: 'sim-1', runtimeVersion: '1', scoring: { name: 'eq4', alpha: 0, beta: 0 } };
  const options = { keep: 4, exploringIndex: 10, exploringLayers: 4, statistic: 'p10' as const };
  const space = reduceSpace(backbone, (op) => backbone.operators.indexOf(op) + 1, new Eq4Scoring({ alpha: 0, beta: 0 }), meta, options);
  const winner = [...space.initialArch];
  return renderSearchReport({
    record: { seed: 0, startedAt: '2026-12-02T00:00:00.000Z', createdBy: `@hurricane/core 0.1.0 ${HOSTILE}` },
    iterations: [],
    retrain: null,
    verify: null,
    rankCheck: null,
    ...{ space, backbone, budget: { budgetMs: 1 }, baseline: false, winner, candidates: space.candidates },
  });
}

describe('search report', () => {
  it('shows a hostile device name as text: no element, no script URL, no link, no table cell from it', async () => {
    const r = await report(HOSTILE);
    const html = r.html.replace(/<svg[\s\S]*?<\/svg>/g, ''); // the charts are Vega's own SVG
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<a\s/i); // neither the markdown link nor the bare URL became one
    expect(html).not.toMatch(/href=/i);
    expect(html).not.toMatch(/<strong>bold<\/strong>/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // the report's own links to its charts survive in the Markdown
    expect(r.markdown).toContain('![accuracy vs latency](candidates.svg)');
  });

  it('mdText escapes exactly the characters that open markup, and Markdown shows the value as it was', async () => {
    expect(mdText('a|b <c> & [d](e) *f* _g_ `h` ~i~ \\j')).toBe('a\\|b &lt;c&gt; &amp; \\[d\\](e) \\*f\\* \\_g\\_ \\`h\\` \\~i\\~ \\\\j');
    expect(mdText('AMD EPYC (x64, 2 cores)')).toBe('AMD EPYC (x64, 2 cores)');
    const r = await report('Galaxy S22 (SM8450) | Hexagon <V69>');
    expect(r.html).toContain('Galaxy S22 (SM8450) | Hexagon &lt;V69&gt;');
  });
});
