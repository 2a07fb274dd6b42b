/**
 * A typed dependency-injection token: a symbol that remembers the type it resolves to.
 * Tokens are registered with `Symbol.for`, so two copies of `@hurricane/core` in one process
 * (a plugin that bundled its own) still agree on them.
 */
export type Token<T> = symbol & { readonly __tokenType?: T };

/** Creates the token for `name`; the name is also the interface's name. */
export function token<T>(name: string): Token<T> {
  return Symbol.for(`@hurricane/core:${name}`) as Token<T>;
}
