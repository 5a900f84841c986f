// The metrics a duet judges, per benchmark: each benchmark names its headlines, the first being its primary (the
// metric its row in the PR comment shows, `primaryHeadline`). A
// metric the code under test cannot move (a creation step of the platform) is still judged: in a duet both sides
// ran on the same platform at the same time, so only a real difference shows.
export const DUET_HEADLINES: Readonly<Record<string, readonly RegExp[]>> = {
  'creation.swarm-init': [/^init_ms$/, /^link_handshake_rtt_ms$/],
  'creation.agent-deploy': [/^total_ms$/, /^ready_ms$/],
  'creation.parallel-speedup': [/^deploy_ms\.parallel$/],
  'scalability.agent-count': [/^strategy_ms\./],
  'scalability.linear-2-20': [/^create_ms_per_agent\./],
  'scalability.topology-compare': [/^ping_rtt_ms\./, /^consensus_ms\./],
  // compute_ms: each head decision against the base's twin decision in the same agent on the same bars. Without
  // a twin (hooks deciding), compute_vs_floor stays gated and judged too.
  'trading.strategy-execution': [/^compute_ms$/],
  'trading.task-distribution': [/^task_compute_ms$/, /^makespan_ms$/],
  'trading.consensus': [/^decision_ms$/],
  'communication.inter-agent-latency': [/^rtt_ms$/, /^rtt_ms\.payload_1024b$/, /^multi_hop_ms$/],
  'communication.state-sync': [/^sync_ms\./],
  'communication.message-throughput': [/^saturated_msg_per_s$/, /^loaded_latency_ms$/, /^message_ms$/],
  'resources.memory': [/^rss_mib\./],
  'resources.cpu': [/^cpu_s\./],
  'resources.network': [/^bytes_per_op\./],
  'costs.per-operation': [/^cost_per_/],
  'costs.by-topology': [/^workload_s\./],
  'costs.scaling': [/^cost_per_round\./]
}

/** Whether a duet judges this metric (its benchmark's headline, or a metric gated in every comparison). */
export function isDuetHeadline(benchmarkId: string, metric: { name: string; gate: boolean }): boolean {
  return metric.gate || (DUET_HEADLINES[benchmarkId] ?? []).some(re => re.test(metric.name))
}

/**
 * The metric that stands for a benchmark in the PR comment's one-row-per-benchmark table: the first of `names`
 * (in the order given) matching the benchmark's first headline pattern, else the first matching any of them, else
 * undefined. A benchmark outside the catalog has none.
 */
export function primaryHeadline(benchmarkId: string, names: readonly string[]): string | undefined {
  const patterns = DUET_HEADLINES[benchmarkId] ?? []
  for (const re of patterns) {
    const hit = names.find(n => re.test(n))
    if (hit !== undefined) return hit
  }
  return undefined
}
