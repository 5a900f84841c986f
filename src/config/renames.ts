// Renamed inputs: an old name keeps working for at least a minor release, with a warning naming the new one
// (README, "Versions and releases"); both names set to different values is an error naming both.
import { InputError, type InputReader } from './input-table.js'

export class InputConflictError extends InputError {
  constructor(oldName: string, newName: string, oldValue: string, newValue: string) {
    super(newName, newValue, `one value: set only '${newName}'`)
    this.message =
      `Inputs '${oldName}' (deprecated) and '${newName}' are both set, to ${JSON.stringify(oldValue)} and ` +
      `${JSON.stringify(newValue)}: set only '${newName}'`
    this.name = 'InputConflictError'
  }
}

export interface RenamedReader {
  read: InputReader
  /** The error re-worded to name the input the value came from (the old name, when that was the one set). */
  named(err: unknown): unknown
}

/** `renames`: new name → its old names. `warn` is told once per old name in use. */
export function readRenamed(
  read: InputReader,
  renames: Record<string, readonly string[]>,
  warn: (message: string) => void
): RenamedReader {
  const source = new Map<string, string>()
  const warned = new Set<string>()
  const renamed: InputReader = name => {
    const value = read(name)
    for (const old of renames[name] ?? []) {
      const oldValue = read(old)
      if (oldValue.trim() === '') continue
      if (value.trim() !== '' && value.trim() !== oldValue.trim())
        throw new InputConflictError(old, name, oldValue.trim(), value.trim())
      if (!warned.has(old)) {
        warned.add(old)
        warn(
          `Input '${old}' is deprecated: use '${name}' instead (the old name is removed in the next major release)`
        )
      }
      if (value.trim() === '') {
        source.set(name, old)
        return oldValue
      }
    }
    return value
  }
  const named = (err: unknown): unknown => {
    const from = err instanceof InputError && !(err instanceof InputConflictError) && source.get(err.input)
    return from ? new InputError(from, (err as InputError).value, (err as InputError).accepted) : err
  }
  return { read: renamed, named }
}
