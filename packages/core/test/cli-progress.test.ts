import { afterEach, describe, expect, it, vi } from 'vitest';
import { cliProgress } from '../src/cli/progress.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('plain-line progress (not a TTY)', () => {
  it('gives no ETA before a second of history, then one from the rate so far (not "ETA 0s" on the first line)', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const lines: string[] = [];
    const p = cliProgress({ isTTY: false, out: () => {}, err: (s: string) => lines.push(s) });
    p.start(10, 0, 'supernet training');
    p.advance(1, 'step 1'); // reported as the job starts: nothing to estimate from
    vi.advanceTimersByTime(3000);
    p.advance(1, 'step 2'); // 2 steps in 3 s: 8 to go at 1.5 s each = 12 s
    expect(lines).toEqual(['supernet training: 10 in all, 0 already done, 10 to do', '[1/10] step 1 (ETA --)', '[2/10] step 2 (ETA 12s)']);
  });
});
