/** Where the farm's Redis password comes from when the URL has none (keeps it out of config files and `ps`). */
export const PASSWORD_ENV = 'HURRICANE_FARM_PASSWORD';

/** The farm key agents sign their results with and requesters check them by (docs/device-farm.md, Security). */
export const KEY_ENV = 'HURRICANE_FARM_KEY';

/** Secrets that never reach a vendor tool's environment. */
export const SECRET_ENVS: readonly string[] = [PASSWORD_ENV, KEY_ENV];

/**
 * A Redis URL with its password replaced by `***`, for messages, logs and command-line hints. The
 * password runs to the last `@` before the host, so one with an `@` in it is hidden whole.
 */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^/]*@/, '$1***@');
}

/** `text` with every Redis URL in it redacted (a config error quoting a bad `farm.url`, say). */
export function redactUrlsIn(text: string): string {
  return text.replace(/rediss?:\/\/[^\s"'`]*/g, redactUrl);
}
