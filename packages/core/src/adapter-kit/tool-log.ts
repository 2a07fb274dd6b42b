import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ToolResult } from '../contracts/tool-runner.js';

/**
 * Keeps the exact command, exit code, stdout and stderr of one tool run as JSON in `dir`
 * (`<time>-<step>.json`), so every measurement can be traced to what ran and what it printed.
 */
export function keepToolLog(dir: string, step: string, r: ToolResult): void {
  mkdirSync(dir, { recursive: true });
  const name = `${Date.now()}-${step.replace(/[^\w.-]+/g, '-')}.json`;
  writeFileSync(
    path.join(dir, name),
    `${JSON.stringify({ command: r.command, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs }, null, 1)}\n`,
  );
}
