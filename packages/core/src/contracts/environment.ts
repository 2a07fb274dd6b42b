import { token } from './token.js';

/**
 * The environment variables adapters read (PATH, SNPE_ROOT, …). Core registers `process.env`;
 * tests register a fake one, so an adapter never reads `process.env` directly.
 */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Injection token of {@link Environment}. */
export const Environment = token<Environment>('Environment');
