import type { HurricaneSession } from '../../session/session.js';
import { ConfigError, ExitCode } from '../../errors.js';
import { startAgent } from '../../workflows/agent-run.js';
import { onHardStop, onInterrupt } from '../interrupt.js';
import type { CliIO } from '../output.js';

/** `hurricane agent`: serve this host's devices to the farm until Ctrl-C / SIGTERM. */
export async function agentCommand(session: HurricaneSession, io: CliIO, opts: { serve?: string; grace?: string }): Promise<number> {
  const graceS = opts.grace === undefined ? 30 : Number(opts.grace);
  if (!Number.isFinite(graceS) || graceS < 0) throw new ConfigError(`--grace '${opts.grace}' must be a number of seconds ≥ 0`);
  const serve = opts.serve
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const agent = await startAgent(session, { ...(serve ? { serve } : {}), log: (line) => io.err(`agent: ${line}`) });
  io.err(
    `agent: ${agent.id} ready with ${agent.devices.length} device(s); Ctrl-C stops it (the job in measurement finishes, or is handed back after ${graceS} s)`,
  );
  const stopped = new Promise<void>((resolve) => {
    onInterrupt(
      () => void agent.stop({ graceMs: graceS * 1000 }).then(resolve),
      `stopping the agent: no new jobs; the job in measurement finishes, or goes back to the queue after ${graceS} s`,
    );
  });
  onHardStop(() => 'the job in measurement goes back to the queue when its lock expires (farm.lockMs) and another agent takes it');
  try {
    await stopped;
    io.err(`agent: ${agent.id} stopped`);
    // with Redis down, BullMQ's connections keep retrying after close and would keep this process alive
    setTimeout(() => process.exit(), 1000).unref();
    return ExitCode.Success;
  } finally {
    onInterrupt(null);
    onHardStop(null);
  }
}
