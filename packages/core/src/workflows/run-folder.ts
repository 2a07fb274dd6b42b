import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { writeFileAtomicSync } from '../atomic-write.js';
import { ConfigError, HurricaneError } from '../errors.js';
import { stableJson } from '../stable-json.js';

/** The phases of `hurricane search`, in order (docs/method.md §2; `--from <phase>` re-runs from one). */
export const SEARCH_PHASES = [
  'profile',
  'space',
  'dataset',
  'predictor',
  'search',
  'retrain',
  'verify',
  'export',
  'rank-check',
  'report',
] as const;
export type SearchPhase = (typeof SEARCH_PHASES)[number];

/** What `run.json` records so a run can be reproduced and resumed safely. */
export interface RunRecord {
  readonly format: 'hurricane-search-run';
  readonly version: 1;
  readonly createdBy: string;
  readonly startedAt: string;
  readonly seed: number;
  readonly hardware: string;
  readonly preset: string;
  /** The resolved core config the run was started with (plugin blocks excluded). */
  readonly config: unknown;
  readonly configHash: string;
}

export const configHash = (config: unknown) => createHash('sha256').update(stableJson(config)).digest('hex').slice(0, 16);

/**
 * A search's run folder (`<workDir>/runs/<name>/`): `run.json` (config and seed), `state.json` (the
 * phases finished, each with its summary) and every file the phases write. All writes are atomic,
 * so a kill at any moment leaves a folder the next run resumes from.
 */
/** Whether the process recorded as holding a run folder's lock was on this host and no longer runs. */
function holderIsGone(ownerFile: string): boolean {
  let owner: { pid?: unknown; host?: unknown };
  try {
    owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as typeof owner;
  } catch {
    return false;
  }
  if (owner.host !== os.hostname() || typeof owner.pid !== 'number') return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class RunFolder {
  private state: Record<string, unknown>;
  private held: { lost?: Error } = {};
  private release: (() => Promise<void>) | undefined;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.state = (this.readJson('state.json') as Record<string, unknown> | null) ?? {};
  }

  /**
   * Opens a run folder for one process: a second `hurricane search` on the same folder is refused
   * (exit 2) while the first lives; a killed holder's lock goes stale after 30 s.
   */
  static async acquire(dir: string): Promise<RunFolder> {
    mkdirSync(dir, { recursive: true });
    const lockfilePath = path.join(dir, '.lock');
    const ownerFile = path.join(dir, '.lock-owner.json');
    const held: { lost?: Error } = {};
    const take = () =>
      lockfile.lock(dir, {
        lockfilePath,
        realpath: false,
        stale: 30_000,
        update: 10_000,
        retries: 0,
        onCompromised: (error: Error) => {
          held.lost ??= error;
        },
      });
    let release: () => Promise<void>;
    try {
      release = await take();
    } catch (error) {
      if ((error as { code?: string }).code !== 'ELOCKED') throw error;
      // a holder killed on this host (kill -9) leaves its lock until it goes stale: resume at once instead
      if (!holderIsGone(ownerFile)) {
        throw new ConfigError(
          `run folder ${dir} is in use by another hurricane process (lock ${lockfilePath}): wait for it to finish, or give this run another --name`,
        );
      }
      rmSync(lockfilePath, { recursive: true, force: true });
      release = await take();
    }
    writeFileAtomicSync(ownerFile, JSON.stringify({ pid: process.pid, host: os.hostname() }));
    const run = new RunFolder(dir);
    run.release = release;
    run.held = held;
    return run;
  }

  /** Lets the next process open the folder. */
  async close(): Promise<void> {
    await this.release?.().catch(() => undefined);
    this.release = undefined;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  readJson<T = unknown>(name: string): T | null {
    const f = this.file(name);
    if (!existsSync(f)) return null;
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as T;
    } catch (e) {
      throw new HurricaneError(
        `${f} is not valid JSON (${(e as Error).message}): delete it to redo that step, or re-run with --from <phase>`,
      );
    }
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomicSync(this.file(name), `${JSON.stringify(value, null, 2)}\n`);
  }

  /** Starts or re-opens the run; a different config in an existing folder is refused (exit 2). */
  open(record: Omit<RunRecord, 'configHash' | 'startedAt' | 'format' | 'version'>): RunRecord {
    const hash = configHash(record.config);
    const existing = this.readJson<RunRecord>('run.json');
    if (existing) {
      if (existing.configHash !== hash) {
        const before = existing.config as Record<string, unknown>;
        const now = record.config as Record<string, unknown>;
        const keys = Object.keys({ ...before, ...now }).filter((k) => stableJson(before[k]) !== stableJson(now[k]));
        throw new ConfigError(
          `run folder ${this.dir} was started with another config (${keys.join(', ')} differ): use --name <new-run> for a new run, or delete the folder to start this one again`,
        );
      }
      return existing;
    }
    const full: RunRecord = {
      format: 'hurricane-search-run',
      version: 1,
      startedAt: new Date().toISOString(),
      ...record,
      configHash: hash,
    };
    this.writeJson('run.json', full);
    return full;
  }

  /** The summary a finished phase recorded, or null. */
  done<T>(phase: string): T | null {
    return (this.state[phase] as T | undefined) ?? null;
  }

  finish(phase: string, summary: unknown): void {
    if (this.held.lost) {
      throw new HurricaneError(
        `the lock on run folder ${this.dir} was lost (${this.held.lost.message.split('\n')[0]}): another process may have written to it; re-run with --from ${phase.split(':')[0]}`,
      );
    }
    this.state = { ...this.state, [phase]: summary };
    this.writeJson('state.json', this.state);
  }

  /** Forgets `phase` and every later one (and their files), so they run again. */
  resetFrom(phase: SearchPhase, files: Readonly<Record<SearchPhase, readonly string[]>>): void {
    const from = SEARCH_PHASES.indexOf(phase);
    const next: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.state)) {
      const p = SEARCH_PHASES.indexOf(k.split(':')[0] as SearchPhase);
      if (p >= 0 && p < from) next[k] = v;
    }
    // the state first: a kill while files are deleted leaves phases to redo, never a phase marked done without its files
    this.state = next;
    this.writeJson('state.json', this.state);
    for (const p of SEARCH_PHASES.slice(from))
      for (const f of files[p])
        for (const name of f.includes('*') ? this.glob(f) : [f]) rmSync(this.file(name), { force: true, recursive: true });
  }

  private glob(pattern: string): string[] {
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    return existsSync(this.dir) ? readdirSync(this.dir).filter((f) => re.test(f)) : [];
  }
}
