// `swarm-bench init`: writes a commented agent hooks module and the benchmark workflow into a repository, so a
// newcomer goes from nothing to a first local run in two commands. It never overwrites: if either file exists,
// nothing is written and the exit code is 2.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

export const HOOKS_FILE = 'swarm_hooks.py'
export const WORKFLOW_FILE = join('.github', 'workflows', 'swarm-bench.yml')

export const HOOKS_TEMPLATE = `"""Your swarm's agent hooks, loaded in every agent by swarm-bench (--agent-hooks / input agent-hooks).

Define any of the hooks below; each one you leave out keeps swarm-bench's built-in behaviour. The protocol,
sockets, counters and timing stay swarm-bench's: your code is what is measured, and its time is reported apart
from the transport. Each call has a budget (hooks-timeout-ms, default 1000 ms); a hook that raises, returns the
wrong shape or overruns fails the benchmarks that call it with an error naming the hook. print() goes to the
agent's log (stderr), never into its control channel. Use the standard library, or dependencies your workflow
installs with pip before the benchmark step.
"""

SIGNALS = {}  # what this agent heard from the others: origin agent id -> last payload size


def setup(config):
    """Once per agent at start, with the JSON object of hooks-config (default {})."""
    SIGNALS.clear()


def decide(bars, state):
    """bars: OHLCV dicts {t, o, h, l, c, v}, oldest first; state: {cash, position, params}.
    Returns {"signal": "buy"|"sell"|"hold", "confidence": 0..1}."""
    closes = [b["c"] for b in bars[-20:]]
    if len(closes) < 2:
        return {"signal": "hold", "confidence": 0.0}
    mean = sum(closes) / len(closes)
    return {"signal": "buy" if closes[-1] > mean else "sell", "confidence": 0.5}


def on_message(message, ctx):
    """Once per application message at its destination (not on the agents that forward it; pings are transport).
    message: {origin, seq, hops, path, payload}; ctx: {agentId, agentCount, from}. May return a JSON reply body."""
    SIGNALS[message["origin"]] = len(message["payload"] or "")
    return None


# def vote(round, state):
#     """The consensus vote. state: {agentId, agentCount, bars, cash, position, params}.
#     Returns {"decision": "buy"|"sell"|"hold", "weight": number}."""
#     return {"decision": decide(state["bars"], state)["signal"], "weight": 1.0}


# def tally(votes):
#     """The decision from every agent's vote: votes is [{agent, decision, weight}] in agent order.
#     Returns "buy"|"sell"|"hold" (or {"decision": ...}); it must give every agent the same answer."""
#     return max(("buy", "sell", "hold"), key=lambda d: sum(v["weight"] for v in votes if v["decision"] == d))


# def merge_state(local, incoming):
#     """State sync: local and incoming are {version, origin, data (bytes)}. Return the new local state in the same
#     shape, or None to keep the local one."""
#     return incoming if incoming["version"] >= local["version"] else None


# def run_task(task):
#     """A task of the task-distribution benchmark: {taskId, bars, strategy, capital}.
#     Returns a JSON-serialisable dict, with "pnl" (number) and "trades" (int) when you have them."""
#     return {"pnl": 0.0, "trades": 0}
`

export const WORKFLOW_TEMPLATE = `# Benchmarks your swarm (the agent hooks in ${HOOKS_FILE}) on every pull request against its base, side by side,
# and records a baseline on every push to main and once a week. Written by \`npx swarm-bench init\`.
name: Swarm benchmarks

on:
  pull_request:
  push:
    branches: [main]
  schedule:
    - cron: '17 3 * * 1'
  workflow_dispatch:

permissions:
  actions: read # find and download the baseline artifact
  contents: read # check out the code
  pull-requests: write # the sticky PR comment

concurrency:
  group: swarm-bench-\${{ github.ref }}
  cancel-in-progress: \${{ github.event_name == 'pull_request' }}

jobs:
  bench:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: '3.11'
      # Your hooks' dependencies, if any, e.g.: - run: pip install -r requirements.txt
      - uses: org/swarm-bench-action@v1
        with:
          # Without a key (forks, or no secret yet) the run falls back to the local provider, with a notice.
          e2b-api-key: \${{ secrets.E2B_API_KEY }}
          agent-hooks: ${HOOKS_FILE}
          hooks-config: '{}'
          hooks-timeout-ms: '1000'
          profile: quick
          fail-on-regression: 'true'
`

export interface InitOutcome {
  written: string[]
  /** Files that already exist: nothing was written. */
  refused: string[]
}

/** Writes both files under `dir`, or neither when one exists. */
export function scaffold(dir: string): InitOutcome {
  const targets: [string, string][] = [
    [join(dir, HOOKS_FILE), HOOKS_TEMPLATE],
    [join(dir, WORKFLOW_FILE), WORKFLOW_TEMPLATE]
  ]
  const refused = targets.filter(([p]) => existsSync(p)).map(([p]) => relative(dir, p))
  if (refused.length > 0) return { written: [], refused }
  for (const [path, text] of targets) {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, text, { flag: 'wx' }) // wx: never replace a file that appeared meanwhile
  }
  return { written: targets.map(([p]) => relative(dir, p)), refused: [] }
}
