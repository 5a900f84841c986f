// The action's inputs: the lead's validated table (`parseActionConfig`) read through the runner's `INPUT_*`
// variables, plus the checks that need the file system. Any problem is an InputError naming input, value and
// what is accepted, so the step fails before a single sandbox starts.
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseActionConfig, type ActionConfig } from '../config/action-config.js'
import { InputError, type InputReader } from '../config/inputs.js'

export function readActionInputs(read: InputReader, env: NodeJS.ProcessEnv = process.env): ActionConfig {
  const config = parseActionConfig(read, env)
  if (config.strategyPath) {
    // Relative to the workspace (the step's working directory), like every path a workflow passes.
    const path = resolve(config.strategyPath)
    let isFile = false
    try {
      isFile = statSync(path).isFile()
    } catch {
      // missing: reported below
    }
    if (!isFile) {
      throw new InputError('strategy-path', config.strategyPath, 'the path of a Python file in the workspace')
    }
    config.strategyPath = path
  }
  return config
}

/** True when `provider: auto` chose the local provider because no key was given: worth a visible notice. */
export function autoFellBackToLocal(config: ActionConfig, providerInput: string): boolean {
  return config.provider === 'local' && (providerInput.trim() === '' || providerInput.trim() === 'auto')
}
