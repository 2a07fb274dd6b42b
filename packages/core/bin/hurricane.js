#!/usr/bin/env node
// Entry point of the `hurricane` CLI: loads reflect-metadata once, stops every running vendor
// tool's process tree on Ctrl-C / SIGTERM, and runs the compiled CLI.
import 'reflect-metadata';

let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (error) {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist')) {
    process.stderr.write("hurricane: @hurricane/core is not built: run 'npm run build' in the repository (npm ci does it)\n");
    process.exit(1);
  }
  throw error;
}
const { killAllTools } = await import('../dist/session/execa-tool-runner.js');
const { hardStopLoss, interrupt } = await import('../dist/cli/interrupt.js');

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  const stop = () => {
    killAllTools('SIGKILL');
    const loss = hardStopLoss();
    process.stderr.write(`hurricane: stopped by ${signal}${loss ? `; ${loss}` : ''}\n`);
    process.exit(code);
  };
  // A long job that can stop cleanly (training: checkpoint, then exit) takes the first signal; the
  // next one stops at once. One listener for the whole run: removing and re-adding it between two
  // signals would drop a second signal that is already queued (Node closes the signal watcher).
  let received = 0;
  process.on(signal, () => {
    received++;
    const doing = received === 1 ? interrupt() : null;
    if (doing) {
      process.stderr.write(`hurricane: ${signal}: ${doing} (again to stop at once)\n`);
      process.exitCode = code;
    } else stop();
  });
}

const code = await cli.main(process.argv.slice(2));
// A stop by signal keeps its exit code (130 / 143).
if (process.exitCode === undefined) process.exitCode = code;
