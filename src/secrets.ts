// Secrets (the E2B key, the GitHub token) must never reach a log line or a file we write. The runner masks
// registered secrets in its log, but not in files (report, results, comment); everything we write goes through
// `redact` too, as a second line of defence behind the provider's own redaction.

/** Shorter values would blank out ordinary words; real keys and tokens are far longer. */
const MIN_SECRET_LENGTH = 8

export function usableSecrets(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.map(v => v?.trim() ?? '').filter(v => v.length >= MIN_SECRET_LENGTH))]
}

export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text
  for (const s of secrets) if (s && out.includes(s)) out = out.split(s).join('***')
  return out
}

/** A JSON-serialisable value with every secret replaced inside its strings. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  const json = JSON.stringify(value)
  // Only secrets that JSON leaves as they are can be replaced safely inside the serialised text.
  const safe = secrets.filter(s => s && JSON.stringify(s) === `"${s}"` && json.includes(s))
  return safe.length === 0 ? value : (JSON.parse(redact(json, safe)) as T)
}
