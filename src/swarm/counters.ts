// The agents' socket counters, summed over a swarm.
import type { AgentCounters, CounterTotals, KindCounters } from './types.js'

function addCounters(into: AgentCounters, c: AgentCounters): void {
  into.messagesSent += c.messagesSent
  into.messagesReceived += c.messagesReceived
  into.bytesSent += c.bytesSent
  into.bytesReceived += c.bytesReceived
  into.forwarded += c.forwarded
  into.refused += c.refused
  for (const [kind, k] of Object.entries(c.byKind ?? {})) {
    const t = (into.byKind[kind] ??= { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0 })
    t.sent += k.sent
    t.received += k.received
    t.bytesSent += k.bytesSent
    t.bytesReceived += k.bytesReceived
  }
}

export function sumCounters(list: AgentCounters[]): CounterTotals {
  const total: CounterTotals = {
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    forwarded: 0,
    refused: 0,
    byKind: {},
    perAgent: list
  }
  for (const c of list) addCounters(total, c)
  return total
}

export const kindOf = (t: CounterTotals, kind: string): KindCounters =>
  t.byKind[kind] ?? { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0 }
