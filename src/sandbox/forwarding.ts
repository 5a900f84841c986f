// A provider that hands every call to another one: wrappers that observe or inject faults (the plan's tracing, test
// doubles) override only `create` instead of repeating the whole interface.
import type { CreateOptions, Provider, ProviderInfo, Sandbox, SandboxUsage } from './types.js'

export class ForwardingProvider implements Provider {
  constructor(protected readonly inner: Provider) {}

  get info(): ProviderInfo {
    return this.inner.info
  }

  create(opts: CreateOptions): Promise<Sandbox> {
    return this.inner.create(opts)
  }

  live(): Sandbox[] {
    return this.inner.live()
  }

  killAll(): Promise<void> {
    return this.inner.killAll()
  }

  usage(): SandboxUsage[] {
    return this.inner.usage()
  }
}
