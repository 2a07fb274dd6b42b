import { container as globalContainer, type DependencyContainer } from 'tsyringe';
import type { ResolvedConfig } from '../config/resolve.js';
import { Environment } from '../contracts/environment.js';
import { Logger } from '../contracts/logger.js';
import { ScoringFunction } from '../contracts/scoring-function.js';
import { ToolRunner } from '../contracts/tool-runner.js';
import { Eq4Options, Eq4Scoring } from '../profile/eq4-scoring.js';
import { HurricaneConfig } from './tokens.js';

/**
 * The composition root: a fresh child container for one run, with core's services registered.
 * Plugins register into the same child container; nothing is ever registered on tsyringe's
 * global container, so runs (and tests) never see each other's services.
 */
export function createRunContainer(
  config: ResolvedConfig,
  services: { logger: Logger; toolRunner: ToolRunner; env?: Environment },
): DependencyContainer {
  const child = globalContainer.createChildContainer();
  child.register(HurricaneConfig, { useValue: config });
  child.register(Logger, { useValue: services.logger });
  child.register(ToolRunner, { useValue: services.toolRunner });
  child.register(Environment, { useValue: services.env ?? process.env });
  child.register(Eq4Options, { useValue: { alpha: config.core.scoring.alpha, beta: config.core.scoring.beta } });
  child.register(ScoringFunction, { useClass: Eq4Scoring });
  return child;
}
