import type { ResolvedConfig } from '../config/resolve.js';
import { token } from '../contracts/token.js';

/** Injection token of the run's {@link ResolvedConfig}. */
export const HurricaneConfig = token<ResolvedConfig>('HurricaneConfig');
