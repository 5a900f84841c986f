// The action's inputs: the lead's validated table (`parseActionConfig`) read through the runner's `INPUT_*`
// variables, plus the checks that need the file system. Any problem is an InputError naming input, value and
// what is accepted, so the step fails before a single sandbox starts.
import { parseActionConfig, type ActionConfig } from '../config/action-config.js'
import type { InputReader } from '../config/input-table.js'
import { providerPlugin } from '../sandbox/registry.js'
import { workspaceHooksPath, workspaceRequirementsPath, workspaceStrategyPath } from '../config/paths.js'

/** `workspace` is the step's working directory, against which a workflow's relative paths resolve. */
export function readActionInputs(
  read: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  workspace = process.cwd(),
  warn: (message: string) => void = () => {}
): ActionConfig {
  const config = parseActionConfig(read, env, { warn })
  if (config.strategyPath) config.strategyPath = workspaceStrategyPath(config.strategyPath, workspace)
  if (config.agentHooks) config.agentHooks = workspaceHooksPath(config.agentHooks, workspace)
  if (config.e2bRequirements)
    config.e2bRequirements = workspaceRequirementsPath(config.e2bRequirements, workspace)
  return config
}

/** True when `provider: auto` fell back (to local: no key was given): worth a visible notice. */
export function autoFellBackToLocal(config: ActionConfig, providerInput: string): boolean {
  const auto = providerInput.trim() === '' || providerInput.trim() === 'auto'
  return auto && !providerPlugin(config.provider).auto
}
