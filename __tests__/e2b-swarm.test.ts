// End to end on the e2b provider: the real Python agents deployed as a swarm through the real e2b SDK into the
// local emulator, every agent-to-agent message routed by the emulator (as E2B routes `https://PORT-ID.e2b.app`).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { E2BProvider } from '../src/sandbox/e2b/provider.js'
import { sweepSandboxes } from '../src/sandbox/e2b/sweep.js'
import { deploySwarm } from '../src/swarm/deploy.js'
import { type Swarm } from '../src/swarm/swarm.js'
import { predictConsensusMessages } from '../src/swarm/topology.js'
import { startE2BEmulator, type E2BEmulator } from './support/e2b-emulator/index.js'
import { waitFor } from './support/e2b-emulator/fixtures.js'
import { listeningAddresses } from './support/processes.js'

const API_KEY = 'e2b_swarm_e2e_key_42424242'
let emu: E2BEmulator
const swarms: Swarm[] = []
const providers: E2BProvider[] = []

function provider(extra: Partial<ConstructorParameters<typeof E2BProvider>[0]> = {}): E2BProvider {
  const p = new E2BProvider({
    apiKey: API_KEY,
    apiUrl: emu.url,
    sandboxUrl: emu.url,
    plan: 'pro',
    limits: { createPerSecond: 20 },
    ...extra
  })
  providers.push(p)
  return p
}

beforeAll(async () => {
  emu = await startE2BEmulator({ apiKey: API_KEY })
})

afterEach(async () => {
  await Promise.all(swarms.splice(0).map(s => s.teardown()))
  await Promise.all(providers.splice(0).map(p => p.killAll()))
  expect(emu.stats().live).toBe(0)
  await waitFor(() => emu.livePids().length === 0 || undefined, 'every agent process to exit')
})

afterAll(async () => {
  await emu.close()
})

describe('a swarm on the e2b provider', () => {
  it('deploys a ring whose agents reach each other only through the emulator, with restricted traffic', async () => {
    const p = provider({ allowPublicTraffic: false })
    const swarm = await deploySwarm({
      provider: p,
      topology: 'ring',
      size: 4,
      deploy: 'parallel',
      runTag: 'e2e-ring'
    })
    swarms.push(swarm)

    expect(emu.sandboxIds().sort()).toEqual(swarm.sandboxes.map(s => s.id).sort())
    for (const sb of swarm.sandboxes) {
      expect(emu.sandbox(sb.id)?.metadata['swarm-bench-run']).toBe('e2e-ring')
      expect(emu.sandbox(sb.id)?.restricted).toBe(true)
      expect(sb.allocation).toEqual({ vcpu: 2, memoryMiB: 512 })
    }
    // Peers were handed the emulator's routing headers, including each sandbox's traffic token.
    const ep = swarm.peerEndpoint(2)
    expect(ep.url).toBe(emu.url)
    expect(ep.headers).toMatchObject({ 'E2b-Sandbox-Id': swarm.sandboxes[2].id })
    expect(ep.headers['e2b-traffic-access-token']).toBeTruthy()
    expect(swarm.deployReport.links.length).toBe(8)

    // E2B's proxy reaches the agent from outside the sandbox's loopback: there the peer server listens on all
    // interfaces (the emulator's sandboxes share this host's network, so the kernel's table shows it).
    for (let i = 0; i < 4; i++) {
      const ready = swarm.readyInfo(i)
      expect(ready.host).toBe('0.0.0.0')
      expect(listeningAddresses(ready.port)).toEqual(['0.0.0.0'])
    }

    await swarm.resetCounters()
    const before = emu.stats()
    const sent = await swarm.send(0, 2, 3, 64)
    expect(sent.delivered).toBe(3)
    expect(sent.hops).toBe(2)
    const round = await swarm.consensusRound(1)
    expect(round.agreed).toBe(true)
    expect(round.countersSettled).toBe(true)
    expect(round.voteMessages).toBe(predictConsensusMessages(swarm.topology))
    const totals = await swarm.counters()
    const after = emu.stats()
    // Every peer message the agents counted is one request the emulator proxied: nothing went around it, and
    // nothing was refused (the traffic tokens were right).
    expect(after.peerRequests - before.peerRequests).toBe(totals.messagesSent)
    expect(after.peerRejected - before.peerRejected).toBe(0)
    expect(totals.refused).toBe(0)

    await swarm.teardown()
    expect(p.live()).toHaveLength(0)
    expect(p.usage().every(u => u.seconds > 0)).toBe(true)
  })

  it("sweeps a run's sandboxes when the run never tore its swarm down", async () => {
    const p = provider()
    const swarm = await deploySwarm({
      provider: p,
      topology: 'star',
      size: 3,
      deploy: 'sequential',
      runTag: 'e2e-leak'
    })
    swarms.push(swarm)
    const bystander = await provider({ metadata: { 'swarm-bench-run': 'other-run' } }).create({
      label: 'keep'
    })
    expect(
      await sweepSandboxes({ apiKey: API_KEY, apiUrl: emu.url, metadata: { 'swarm-bench-run': 'e2e-leak' } })
    ).toBe(3)
    expect(emu.sandboxIds()).toEqual([bystander.id])
    // The agents went with their sandboxes; the late teardown neither throws nor hangs.
    await swarm.teardown()
  })
})
