// Names of the values the main step saves for the post step (`core.saveState` → `STATE_<name>` in the post
// step's environment). Never a secret: state lives in a file on the runner; the post step re-reads the key input.
export const STATE = {
  /** The run tag every sandbox and agent process of the run carries. */
  runTag: 'run-tag',
  /** The provider the run used: whose leftovers the post step looks for (its plug-in saves what it needs). */
  provider: 'provider'
} as const
