// One base class for the project's own errors, so a caller tells ours from the platform's with one instanceof,
// and the one way to turn anything thrown into a line of text.

export class SwarmBenchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
  }
}

/** The message of whatever was thrown (an Error's message, else its name, else the value as text). */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name
  return String(err)
}
