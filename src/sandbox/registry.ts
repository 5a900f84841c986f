// The providers this build knows: one line each. Everything outside src/sandbox/ finds a provider here, by the
// name a config or a results file gives, and asks its plug-in rather than comparing names.
import { e2bPlugin } from './e2b/plugin.js'
import { localPlugin } from './local/plugin.js'
import type { ProviderPlugin, ProviderTraits } from './plugin.js'

// Order matters twice: `provider` lists the names in it, and `auto` falls back to the first without an `auto`.
const PLUGINS: ProviderPlugin[] = [localPlugin as ProviderPlugin, e2bPlugin as ProviderPlugin]

export function providerPlugins(): readonly ProviderPlugin[] {
  return PLUGINS
}

export function providerNames(): string[] {
  return PLUGINS.map(p => p.name)
}

/** The plug-in of a registered provider; throws naming the registered ones otherwise. */
export function providerPlugin(name: string): ProviderPlugin {
  const p = PLUGINS.find(x => x.name === name)
  if (!p) throw new Error(`unknown sandbox provider '${name}' (registered: ${providerNames().join(', ')})`)
  return p
}

/** The plug-in of a name read from a results file, which may come from a build with other providers. */
export function findProviderPlugin(name: string): ProviderPlugin | undefined {
  return PLUGINS.find(x => x.name === name)
}

/** The provider `auto` runs on when no other chooses itself: the first without an `auto`. */
export function fallbackProviderPlugin(): ProviderPlugin {
  const p = PLUGINS.find(x => !x.auto)
  if (!p) throw new Error('no registered sandbox provider can be the fallback of provider auto')
  return p
}

export function providerTraits(name: string): ProviderTraits {
  return providerPlugin(name).traits
}

/**
 * Adds a provider at run time (tests; a build adds its line above instead). Returns the undo. A name already
 * registered is refused: two plug-ins must never answer to one name.
 */
export function registerProvider(plugin: ProviderPlugin): () => void {
  if (PLUGINS.some(p => p.name === plugin.name))
    throw new Error(`sandbox provider '${plugin.name}' is already registered`)
  PLUGINS.push(plugin)
  return () => {
    const i = PLUGINS.indexOf(plugin)
    if (i >= 0) PLUGINS.splice(i, 1)
  }
}
