/** A Redis URL with its password replaced by `***`, for messages, logs and command-line hints. */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}
