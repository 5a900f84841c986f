// The project's errors share one base class and name themselves; errorText turns anything thrown into text.
import { describe, expect, it } from 'vitest'
import { InterruptedError } from '../src/bench/errors.js'
import { InputError } from '../src/config/input-table.js'
import { BaseCodeError } from '../src/duet/base-code.js'
import { errorText, SwarmBenchError } from '../src/errors.js'
import { E2BAuthError } from '../src/sandbox/e2b/provider.js'
import { RetryExhaustedError, SlotWaitError } from '../src/sandbox/limits.js'
import { AgentTimeoutError } from '../src/swarm/agent-client.js'
import { SwarmError } from '../src/swarm/swarm.js'
import { TopologyError } from '../src/swarm/topology.js'

describe('SwarmBenchError', () => {
  it('is the base of every error the project throws, each named after its class', () => {
    const made: Error[] = [
      new InterruptedError('stop'),
      new InputError('profile', 'fast', 'quick or full'),
      new BaseCodeError('no base'),
      new E2BAuthError('key'),
      new SwarmError('deploy'),
      new TopologyError('shape')
    ]
    for (const e of made) {
      expect(e).toBeInstanceOf(SwarmBenchError)
      expect(e.name).toBe(e.constructor.name)
    }
    for (const cls of [RetryExhaustedError, SlotWaitError, AgentTimeoutError])
      expect(cls.prototype).toBeInstanceOf(SwarmBenchError)
    expect(new Error('platform')).not.toBeInstanceOf(SwarmBenchError)
  })

  it('errorText gives the message, else the name, else the value', () => {
    expect(errorText(new SwarmError('agent 2 crashed'))).toBe('agent 2 crashed')
    expect(errorText(new TypeError(''))).toBe('TypeError')
    expect(errorText('plain')).toBe('plain')
    expect(errorText(42)).toBe('42')
  })
})
