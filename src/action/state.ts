// Names of the values the main step saves for the post step (`core.saveState` → `STATE_<name>` in the post
// step's environment). Never a secret: state lives in a file on the runner; the post step re-reads the key input.
export const STATE = {
  /** The run tag every sandbox and agent process of the run carries. */
  runTag: 'run-tag',
  /** `local` or `e2b`: which kind of leftovers the post step looks for. */
  provider: 'provider',
  /** Where the E2B API is (only when not the default), so the sweep asks the same service. */
  e2bApiUrl: 'e2b-api-url',
  e2bDomain: 'e2b-domain'
} as const
