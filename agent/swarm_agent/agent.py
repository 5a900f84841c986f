"""The agent's state and its operations: control ops (from control.py) and peer routes (from peer_server.py)."""

import sys
import threading
import time

from .errors import AgentError, bad_request, req_dict, req_int, req_num, req_str
from .peer import Counters, PeerError, PeerLink, PeerServer, encode
from .workers import Pool

try:  # hmac would load OpenSSL (~2 ms, ~2 MiB per agent) just for this constant-time compare
    from _operator import _compare_digest as compare_digest
except ImportError:  # pragma: no cover
    from hmac import compare_digest

_now = time.perf_counter_ns
DECISIONS = ('buy', 'sell', 'hold')
_VOTE_ROUNDS_KEPT = 256
_FLOOD_PARALLEL = 4
_HELLO_PARALLEL = 8
_PIPELINE_MAX_SLOTS = 2048  # threads one pipeline op may start (streams × depth)


def log(msg):
    try:
        sys.stderr.write('swarm_agent: %s\n' % msg)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _vote_of(h, res):
    """(decision, weight) of a vote hook's answer, or a HookError naming the shape expected."""
    if isinstance(res, dict):
        d, w = res.get('decision'), res.get('weight', 1.0)
        if d in DECISIONS and type(w) in (int, float) and w == w and abs(w) != float('inf'):
            return d, float(w)
    raise h.wrong_shape('vote', res, '{"decision": "buy"|"sell"|"hold", "weight": number}')


_clock = []


def _clock_id():
    """Which monotonic clock this agent reads: the kernel's boot id, shared by every process on one machine (so
    their monotonic times compare) and different in each sandbox VM; None where there is none."""
    if not _clock:
        try:
            with open('/proc/sys/kernel/random/boot_id') as f:
                _clock.append(f.read().strip() or None)
        except OSError:
            _clock.append(None)
    return _clock[0]


def _int(obj, key):
    v = obj.get(key)
    if type(v) is not int:
        raise ValueError('%s must be an integer' % key)
    return v


class Agent:
    def __init__(self, host='127.0.0.1', port=0, body_limit=None):
        from .peer import DEFAULT_BODY_LIMIT

        self.started = time.monotonic()
        self.counters = Counters()
        self.cond = threading.Condition()
        self.id = None
        self.token = None
        self.id_answer = b'{"id":null}'
        self.agent_count = 0
        self.links = {}
        self.next_hop = {}
        self.adjacency = {}
        self.strategy = None
        self.twin = None  # a duet's base strategy beside ours (twin.py), when init named one
        self.hooks = None  # the user's agent hooks (hooks.py), when init named a module
        self.merge_lock = threading.Lock()  # merge_state hooks see and replace the local state one at a time
        self.ack_errors = {}  # (version, origin) -> the first hook error an agent acked with
        self.portfolio = None
        self.peer_timeout = 30.0
        self.votes = {}  # round -> {origin: (decision, weight)}
        self.state_version = 0
        self.state_origin = None
        self.state_blob = None
        self.state_seen = set()  # (version, origin)
        self.acks = {}  # (version, origin) -> set of agents that acked
        self.fwd = Pool('forward')
        routes = {
            b'/hello': self.p_hello,
            b'/ping': self.p_ping,
            b'/msg': self.p_msg,
            b'/vote': self.p_vote,
            b'/state': self.p_state,
            b'/ack': self.p_ack,
        }
        self.server = PeerServer(
            routes, self.check_token, self.counters, host, port, body_limit or DEFAULT_BODY_LIMIT
        )
        self.ops = {
            'init': self.op_init,
            'link': self.op_link,
            'ping': self.op_ping,
            'send': self.op_send,
            'pipeline': self.op_pipeline,
            'consensus': self.op_consensus,
            'state_sync': self.op_state_sync,
            'execute_strategy': self.op_execute_strategy,
            'run_task': self.op_run_task,
            'metrics': self.op_metrics,
            'reset_counters': self.op_reset_counters,
            'calibrate': self.op_calibrate,
            'strategy_pairs': self.op_strategy_pairs,
        }
        self.needs_init = {'link', 'ping', 'send', 'pipeline', 'consensus', 'state_sync', 'execute_strategy',
                           'run_task', 'strategy_pairs'}

    # ---- helpers -------------------------------------------------------------------------------------------

    def check_token(self, tok):
        t = self.token
        return t is not None and tok is not None and compare_digest(tok, t)

    def _via(self, dest):
        """The neighbour link that leads to `dest` (next hop from the host's topology)."""
        hop = self.next_hop.get(dest)
        if hop is None and dest in self.links:
            hop = dest
        link = self.links.get(hop) if hop is not None else None
        if link is None:
            raise PeerError('agent %s has no route to agent %s' % (self.id, dest))
        return link

    def _flood(self, kind, obj, sender):
        """Forward an item on first receipt to neighbours that are neither the sender nor its neighbours.

        Sent asynchronously: the inbound request is answered at once, so cycles cannot deadlock."""
        if sender is None:
            targets = list(self.links)
        else:
            s_adj = self.adjacency.get(sender, ())
            targets = [n for n in self.links if n != sender and n not in s_adj]
        if not targets:
            return 0
        out = dict(obj)
        out['from'] = self.id
        out = encode(out).encode()
        links = [self.links[t] for t in targets]
        forwarded = sender is not None
        # at most _FLOOD_PARALLEL threads per item: enough to overlap network waits, bounded in a wide mesh
        k = min(len(links), _FLOOD_PARALLEL)
        for i in range(k):
            self.fwd.submit(self._push, links[i::k], kind, out, forwarded)
        return len(links)

    def _push(self, links, kind, obj, forwarded):
        for link in links:
            if forwarded:
                self.counters.forward()
            try:
                link.request(kind, obj)
            except PeerError as e:
                log('%s to %s failed: %s' % (kind, link.id, e))

    def _relay(self, kind, obj, dest):
        """Synchronous hop-by-hop forwarding (msg, ack): the answer travels back along the same links."""
        out = dict(obj)
        out['hops'] = obj.get('hops', 0) + 1
        out['from'] = self.id
        if 'path' in obj:
            out['path'] = list(obj['path']) + [self.id]
        try:
            link = self._via(dest)
            self.counters.forward()
            return 200, link.request(kind, out, self.peer_timeout)
        except PeerError as e:
            return 502, {'error': str(e)}

    # ---- peer routes ---------------------------------------------------------------------------------------

    def p_hello(self, obj):
        return 200, self.id_answer

    def p_ping(self, obj):
        return 200, self.id_answer  # pre-encoded {"id": <id>}: the server sends bytes answers as they are

    def p_msg(self, obj):
        try:
            to = _int(obj, 'to')
            _int(obj, 'hops')
            path = obj.get('path')
            if not isinstance(path, list):
                raise ValueError('path must be a list')
        except ValueError as e:
            return 400, {'error': str(e)}
        if to == self.id:
            h = self.hooks
            if h is not None and h.has('on_message'):
                return None, lambda: self._deliver(h, obj, path)  # user code: off the server's I/O thread
            return 200, {'delivered': True, 'to': self.id, 'hops': obj['hops'], 'path': path + [self.id], 'seq': obj.get('seq')}
        return None, lambda: self._relay('msg', obj, to)

    def _deliver(self, h, obj, path):
        """A message at its destination, handed to the user's on_message; its reply travels back in the answer."""
        message = {'origin': obj.get('origin'), 'seq': obj.get('seq'), 'hops': obj['hops'], 'path': path + [self.id],
                   'payload': obj.get('payload')}
        ctx = {'agentId': self.id, 'agentCount': self.agent_count, 'from': obj.get('from')}
        try:
            reply, ns = h.call('on_message', message, ctx)
            out = {'delivered': True, 'to': self.id, 'hops': obj['hops'], 'path': message['path'], 'seq': obj.get('seq'),
                   'hookNs': ns}
            if reply is not None:
                out['reply'] = reply
            try:
                return 200, encode(out).encode()
            except (TypeError, ValueError):
                raise h.wrong_shape('on_message', reply, 'a JSON-serialisable reply body or None')
        except AgentError as e:
            return 500, {'error': e.message}  # waits on the next hop: off the server's I/O thread

    def p_vote(self, obj):
        try:
            rnd = _int(obj, 'round')
            origin = _int(obj, 'origin')
            sender = _int(obj, 'from')
            decision = obj.get('decision')
            weight = obj.get('weight')
            if decision not in DECISIONS:
                raise ValueError('decision must be buy, sell or hold')
            if type(weight) not in (int, float):
                raise ValueError('weight must be a number')
        except ValueError as e:
            return 400, {'error': str(e)}
        first = self._store_vote(rnd, origin, decision, weight)
        if first:
            self._flood('vote', obj, sender)
        return 200, {'stored': first}

    def _store_vote(self, rnd, origin, decision, weight):
        with self.cond:
            votes = self.votes.get(rnd)
            if votes is None:
                votes = self.votes[rnd] = {}
                if len(self.votes) > _VOTE_ROUNDS_KEPT:
                    for r in sorted(self.votes)[: len(self.votes) - _VOTE_ROUNDS_KEPT]:
                        del self.votes[r]
            if origin in votes:
                return False
            votes[origin] = (decision, weight)
            self.cond.notify_all()
            return True

    def p_state(self, obj):
        try:
            version = _int(obj, 'version')
            origin = _int(obj, 'origin')
            sender = _int(obj, 'from')
            blob = obj.get('blob')
            if not isinstance(blob, str):
                raise ValueError('blob must be a base64 string')
        except ValueError as e:
            return 400, {'error': str(e)}
        key = (version, origin)
        with self.cond:
            first = key not in self.state_seen
            if first:
                self.state_seen.add(key)
        if not first:
            return 200, {'stored': False}
        import base64

        try:
            data = base64.b64decode(blob, validate=True)
        except ValueError as e:
            return 400, {'error': 'blob is not base64: %s' % e}
        h = self.hooks
        if h is not None and h.has('merge_state'):
            return None, lambda: self._merge(h, obj, version, origin, sender, data)
        with self.cond:
            if version >= self.state_version:
                self.state_version, self.state_origin, self.state_blob = version, origin, data
        self._flood('state', obj, sender)
        self.fwd.submit(self._send_ack, origin, version)
        return 200, {'stored': True, 'sizeBytes': len(data)}

    def _merge(self, h, obj, version, origin, sender, data):
        """State sync through the user's merge_state(local, incoming); a hook error travels to the origin in the ack."""
        error = None
        ns = 0
        with self.merge_lock:
            local = {'version': self.state_version, 'origin': self.state_origin, 'data': self.state_blob or b''}
            try:
                res, ns = h.call('merge_state', local, {'version': version, 'origin': origin, 'data': data})
                if res is not None:
                    if (not isinstance(res, dict) or type(res.get('version')) is not int
                            or not isinstance(res.get('data'), (bytes, bytearray, str))):
                        raise h.wrong_shape('merge_state', res, 'None or {"version": int, "data": bytes, "origin"?: int}')
                    with self.cond:
                        self.state_version, self.state_origin, self.state_blob = (
                            res['version'], res.get('origin', origin), res['data'])
            except AgentError as e:
                error = e.message
        self._flood('state', obj, sender)
        self.fwd.submit(self._send_ack, origin, version, error)
        return 200, {'stored': error is None, 'sizeBytes': len(data), 'hookNs': ns}

    def _send_ack(self, origin, version, error=None):
        ack = {'origin': self.id, 'to': origin, 'version': version, 'from': self.id, 'hops': 1}
        if error:
            ack['error'] = error
        try:
            self._via(origin).request('ack', ack)
        except PeerError as e:
            log('ack of state %d to %d failed: %s' % (version, origin, e))

    def p_ack(self, obj):
        try:
            to = _int(obj, 'to')
            origin = _int(obj, 'origin')
            version = _int(obj, 'version')
            hops = _int(obj, 'hops')
        except ValueError as e:
            return 400, {'error': str(e)}
        if to == self.id:
            error = obj.get('error')
            with self.cond:
                self.acks.setdefault((version, self.id), set()).add(origin)
                if error:
                    self.ack_errors.setdefault((version, self.id), 'agent %d: %s' % (origin, str(error)[:500]))
                self.cond.notify_all()
            return 200, {'acked': True, 'hops': hops}
        return None, lambda: self._relay('ack', obj, to)

    # ---- control ops ---------------------------------------------------------------------------------------

    def op_init(self, args):
        from . import strategies, twin

        agent_id = req_int(args, 'agentId', minimum=0)
        token = req_str(args, 'token')
        if not token:
            raise bad_request('args.token must not be empty')
        count = req_int(args, 'agentCount', minimum=1)
        strat = req_dict(args, 'strategy')
        name = req_str(strat, 'name')
        params = strat.get('params') or {}
        if not isinstance(params, dict):
            raise bad_request('args.strategy.params must be an object')
        path = req_str(args, 'strategyPath', required=False)
        capital = req_num(args, 'capital', default=100000.0, minimum=0)
        timeout_ms = req_int(args, 'strategyTimeoutMs', minimum=1, default=5000)
        peer_timeout_ms = req_int(args, 'peerTimeoutMs', minimum=1, default=30000)
        hooks_path = req_str(args, 'hooksPath', required=False)
        hooks_timeout_ms = req_int(args, 'hooksTimeoutMs', minimum=1, default=1000)
        hooks = None
        if hooks_path:
            from . import hooks as hooks_mod

            hooks = hooks_mod.load(hooks_path, hooks_timeout_ms)
        if hooks is not None and path is None and hooks.has('decide'):
            strategy = strategies.HookStrategy(hooks, params)
        else:
            strategy = strategies.make(name, params, path, timeout_ms)
        twin_of = twin.parse(args)
        if hooks is not None and hooks.has('setup'):
            hooks.call('setup', args.get('hooksConfig') or {})
        from .portfolio import Portfolio

        with self.cond:
            self.id = agent_id
            self.id_answer = encode({'id': agent_id}).encode()
            self.agent_count = count
            self.strategy = strategy
            self.twin = twin_of
            self.hooks = hooks
            self.ack_errors.clear()
            self.portfolio = Portfolio(float(capital))
            self.peer_timeout = peer_timeout_ms / 1000.0
            self.votes.clear()
            self.acks.clear()
            self.state_seen.clear()
            self.token = token.encode('latin-1', 'replace')
        out = {'agentId': agent_id, 'strategy': strategy.describe()}
        if hooks is not None:
            out['hooks'] = {'module': hooks.label, 'user': hooks.names, 'timeoutMs': hooks_timeout_ms}
        return out

    def op_link(self, args):
        neighbors = args.get('neighbors')
        if not isinstance(neighbors, list):
            raise bad_request('args.neighbors must be a list of {id, url, headers}')
        links = {}
        for i, n in enumerate(neighbors):
            if not isinstance(n, dict):
                raise bad_request('args.neighbors[%d] must be an object' % i)
            nid = n.get('id')
            url = n.get('url')
            headers = n.get('headers') or {}
            if type(nid) is not int or not isinstance(url, str) or not isinstance(headers, dict):
                raise bad_request('args.neighbors[%d] needs id (integer), url (string), headers (object)' % i)
            try:
                links[nid] = PeerLink(nid, url, headers, self.token.decode('latin-1'), self.counters, self.peer_timeout)
            except ValueError as e:
                raise bad_request('args.neighbors[%d]: %s' % (i, e))
        next_hop = {}
        for k, v in (req_dict(args, 'nextHop', required=False) or {}).items():
            try:
                next_hop[int(k)] = int(v)
            except (TypeError, ValueError):
                raise bad_request('args.nextHop must map agent ids to agent ids, got %r: %r' % (k, v))
        adjacency = {}
        for k, v in (req_dict(args, 'adjacency', required=False) or {}).items():
            if not isinstance(v, list):
                raise bad_request('args.adjacency[%s] must be a list of ids' % k)
            try:
                adjacency[int(k)] = frozenset(int(x) for x in v)
            except (TypeError, ValueError):
                raise bad_request('args.adjacency[%s] must be a list of integer ids' % k)
        old = self.links
        self.links, self.next_hop, self.adjacency = links, next_hop, adjacency
        for link in old.values():
            link.close()

        results = {}

        def hello(link):
            t0 = _now()
            try:
                res = link.request('hello', {'from': self.id}, self.peer_timeout)
                rtt = _now() - t0
                if res.get('id') != link.id:
                    results[link.id] = ('failed', 'answered as agent %r, expected %d' % (res.get('id'), link.id))
                else:
                    results[link.id] = ('ok', rtt)
            except PeerError as e:
                results[link.id] = ('failed', str(e))

        def hellos(part):
            for link in part:
                hello(link)

        # a few threads, not one per neighbour: a 200-agent mesh would start 199 threads in every agent at once
        all_links = list(links.values())
        k = min(len(all_links), _HELLO_PARALLEL)
        threads = [threading.Thread(target=hellos, args=(all_links[i::k],), daemon=True) for i in range(k)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        verified, failed = [], []
        for nid in links:
            status, v = results.get(nid, ('failed', 'no result'))
            if status == 'ok':
                verified.append({'id': nid, 'rttNs': v})
            else:
                failed.append({'id': nid, 'error': v})
        return {'verified': verified, 'failed': failed}

    def op_ping(self, args):
        count = req_int(args, 'count', minimum=1)
        size = req_int(args, 'payloadBytes', minimum=0, default=0)
        peers = args.get('peers')
        if peers is None:
            peers = list(self.links)
        elif not isinstance(peers, list) or any(type(p) is not int for p in peers):
            raise bad_request('args.peers must be a list of integer ids')
        for p in peers:
            if p not in self.links:
                raise bad_request('agent %d is not a neighbour of agent %d' % (p, self.id))
        body = encode({'from': self.id, 'payload': 'x' * size}).encode()  # once per op, not per request
        out = {}
        for p in peers:
            link = self.links[p]
            samples = []
            request = link.request
            for _ in range(count):
                t0 = _now()
                try:
                    request('ping', body, None, False)
                except PeerError as e:
                    raise AgentError('PeerError', str(e))
                samples.append(_now() - t0)
            out[str(p)] = samples
        return {'rttNs': out}

    def op_send(self, args):
        to = req_int(args, 'to', minimum=0)
        count = req_int(args, 'count', minimum=1)
        size = req_int(args, 'payloadBytes', minimum=0, default=0)
        if to == self.id:
            raise bad_request('args.to is this agent (%d)' % to)
        try:
            link = self._via(to)
        except PeerError as e:
            raise AgentError('PeerError', str(e))
        # every message is this object with its own seq: encoded once, seq spliced in (same bytes as encoding each)
        rest = encode({'origin': self.id, 'to': to, 'hops': 1, 'path': [self.id], 'payload': 'x' * size, 'from': self.id})
        template = b'{"seq":%d,' + rest[1:].encode().replace(b'%', b'%%')
        request = link.request
        timeout = self.peer_timeout
        latencies = []
        hook_ns = []
        delivered = 0
        hops = None
        path = None
        t_all = _now()
        for seq in range(count):
            t0 = _now()
            try:
                res = request('msg', template % seq, timeout)
            except PeerError as e:
                raise AgentError('HookError' if 'hook on_message' in str(e) else 'PeerError', str(e))
            latencies.append(_now() - t0)
            h = res.get('hookNs')
            if h is not None:
                hook_ns.append(h)
            if res.get('delivered') is True:
                delivered += 1
                hops = res.get('hops')
                path = res.get('path')
        out = {
            'delivered': delivered,
            'elapsedNs': _now() - t_all,
            'hops': hops,
            'path': path,
            'latencyNs': latencies,
        }
        if hook_ns:
            out['hookNs'] = hook_ns  # of each latency, the time inside the destination's on_message
        return out

    def op_pipeline(self, args):
        """Messages to each of `to` (one stream per destination) with `depth` in flight per stream for `durationMs`,
        forwarded hop by hop like `send`: the delivered rate under load and each message's latency under it."""
        from . import pipeline

        dests = args.get('to')
        if not isinstance(dests, list) or not dests or any(type(d) is not int or d == self.id for d in dests):
            raise bad_request('args.to must be a non-empty list of other agents\' ids')
        depth = req_int(args, 'depth', minimum=1)
        duration_ms = req_int(args, 'durationMs', minimum=1)
        size = req_int(args, 'payloadBytes', minimum=0, default=0)
        chunks = req_int(args, 'latencyChunks', minimum=1, default=8)
        if len(dests) * depth > _PIPELINE_MAX_SLOTS:
            raise bad_request('%d streams × depth %d is over %d messages in flight' % (len(dests), depth, _PIPELINE_MAX_SLOTS))
        streams = []
        for to in dests:
            try:
                link = self._via(to)
            except PeerError as e:
                raise AgentError('PeerError', str(e))
            rest = encode({'origin': self.id, 'to': to, 'hops': 1, 'path': [self.id], 'payload': 'x' * size, 'from': self.id})
            streams.append((link, b'{"seq":%d,' + rest[1:].encode().replace(b'%', b'%%')))
        links = list(self.links.values())
        # other agents' streams are relayed over these links, one relay at a time per stream: a connection each
        for link in links:
            link.set_idle_cap(self.agent_count)
        try:
            delivered, elapsed, in_flight, latencies, error = pipeline.run(
                streams, depth, duration_ms * 1_000_000, self.peer_timeout
            )
        finally:
            for link in links:
                link.set_idle_cap(0)
        if error is not None:
            raise AgentError('PeerError', error)
        return {
            'delivered': delivered,
            'messages': len(latencies),
            'elapsedNs': elapsed,
            'depth': depth,
            'maxInFlight': in_flight,
            'latencyNs': pipeline.chunk_means(latencies, chunks),
        }

    def op_consensus(self, args):
        from . import consensus, market

        t_op = _now()
        rnd = req_int(args, 'round', minimum=0)
        timeout_ms = req_int(args, 'timeoutMs', minimum=1, default=10000)
        window = req_dict(args, 'window', required=False) or consensus.round_window(rnd)
        bars = market.load_window(window)
        # The decision starts here, the market generated: on a clock the host can line up across agents, so it can
        # tell this agent's own decision from the time it waited for agents the host reached later.
        t0 = _now()
        began_at = time.monotonic_ns()
        wall_offset = time.time_ns() - began_at
        h = self.hooks
        hook_ns = 0
        if h is not None and h.has('vote'):
            state = self._strategy_state(bars)
            state.update(agentId=self.id, agentCount=self.agent_count, bars=bars)
            res, hook_ns = h.call('vote', rnd, state)
            signal, confidence = _vote_of(h, res)
        else:
            signal, confidence = self.strategy.decide(bars, self._strategy_state(bars))
        if self._store_vote(rnd, self.id, signal, confidence):
            self._flood(
                'vote',
                {'round': rnd, 'origin': self.id, 'decision': signal, 'weight': confidence},
                None,
            )
        deadline = time.monotonic() + timeout_ms / 1000.0
        need = self.agent_count
        with self.cond:
            while len(self.votes.get(rnd, ())) < need:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AgentError(
                        'Timeout',
                        'round %d: %d of %d votes arrived within %d ms'
                        % (rnd, len(self.votes.get(rnd, ())), need, timeout_ms),
                    )
                self.cond.wait(left)
            votes = dict(self.votes[rnd])
        decision, tally, counts = consensus.decide(votes)
        if h is not None and h.has('tally'):
            listed = [{'agent': o, 'decision': votes[o][0], 'weight': votes[o][1]} for o in sorted(votes)]
            res, ns = h.call('tally', listed)
            hook_ns += ns
            decision = res.get('decision') if isinstance(res, dict) else res
            if decision not in DECISIONS:
                raise h.wrong_shape('tally', res, '"buy"|"sell"|"hold" or {"decision": ...}')
        out = {
            'round': rnd,
            'proposal': {'signal': signal, 'confidence': confidence},
            'decision': decision,
            'tally': tally,
            'counts': counts,
            'votes': len(votes),
            'decisionNs': _now() - t0,
            'marketNs': t0 - t_op,
            'beganAtNs': began_at,
            'decidedAtNs': time.monotonic_ns(),
            'clock': {'id': _clock_id(), 'wallMinusMonotonicNs': wall_offset},
        }
        if h is not None and (h.has('vote') or h.has('tally')):
            out['hookNs'] = hook_ns  # of decisionNs, the time inside this agent's vote and tally hooks
        return out

    def op_state_sync(self, args):
        import base64
        import random

        version = req_int(args, 'version', minimum=1)
        size = req_int(args, 'sizeBytes', minimum=0)
        timeout_ms = req_int(args, 'timeoutMs', minimum=1, default=30000)
        limit = self.server.body_limit
        if (size + 2) // 3 * 4 + 200 > limit:
            raise bad_request(
                'args.sizeBytes %d is over what fits a peer request (base64 of the blob must stay under the %d-byte '
                'body limit; start agents with --max-body-bytes to raise it)' % (size, limit)
            )
        rng = random.Random(version)
        data = rng.getrandbits(size * 8).to_bytes(size, 'little') if size else b''
        blob = base64.b64encode(data).decode('ascii')
        key = (version, self.id)
        t0 = _now()
        with self.cond:
            if key in self.state_seen:
                raise bad_request('state version %d was already synced from agent %d' % (version, self.id))
            self.state_seen.add(key)
            self.acks[key] = set()
            if version >= self.state_version:
                self.state_version, self.state_origin, self.state_blob = version, self.id, data
        self._flood('state', {'version': version, 'origin': self.id, 'blob': blob}, None)
        need = self.agent_count - 1
        deadline = time.monotonic() + timeout_ms / 1000.0
        with self.cond:
            while len(self.acks[key]) < need:
                if key in self.ack_errors:
                    raise AgentError('HookError', 'state %d: %s' % (version, self.ack_errors[key]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AgentError(
                        'Timeout',
                        'state %d: %d of %d acks arrived within %d ms' % (version, len(self.acks[key]), need, timeout_ms),
                    )
                self.cond.wait(left)
            acks = len(self.acks[key])
            if key in self.ack_errors:
                raise AgentError('HookError', 'state %d: %s' % (version, self.ack_errors[key]))
        return {'version': version, 'acks': acks, 'syncNs': _now() - t0, 'sizeBytes': size}

    def _strategy_state(self, bars):
        p = self.portfolio
        return {'cash': p.cash, 'position': p.position(bars.symbol), 'params': self.strategy.params}

    def op_execute_strategy(self, args):
        from . import calibration, market

        window = req_dict(args, 'window')
        repeat = req_int(args, 'repeat', minimum=1, default=1)
        reference = args.get('reference', False)
        if type(reference) is not bool:
            raise bad_request('args.reference must be true or false')
        bars = market.load_window(window)
        if not bars:
            raise bad_request('args.window has no bars')
        samples = []
        references = []
        signal = confidence = None
        for _ in range(repeat):
            t0 = _now()
            signal, confidence = self.strategy.decide(bars, self._strategy_state(bars))
            t1 = _now()
            samples.append(t1 - t0)
            if reference:
                # The frozen reference decision on the same bars, right after: what the machine gave this moment.
                calibration.reference_work(bars)
                references.append(_now() - t1)
        trade = self.portfolio.apply(bars.symbol, signal, confidence, bars[-1]['c'])
        out = {
            'signal': signal,
            'confidence': confidence,
            'computeNs': samples[-1],
            'bars': len(bars),
            'trade': trade,
            'portfolio': self.portfolio.snapshot(),
        }
        if repeat > 1:
            out['computeNsSamples'] = samples
        if reference:
            out['referenceNs'] = references[-1]
            if repeat > 1:
                out['referenceNsSamples'] = references
        return out

    def op_strategy_pairs(self, args):
        from . import twin

        return twin.op(self, args)

    def op_calibrate(self, args):
        from . import calibration

        repeat = req_int(args, 'repeat', minimum=1, default=1)
        if repeat > 1000:
            raise bad_request('args.repeat must be at most 1000')
        return {'samplesNs': calibration.sample(repeat)}

    def op_run_task(self, args):
        from . import market, strategies
        from .portfolio import backtest

        task_id = args.get('taskId')
        if not isinstance(task_id, (int, str)) or isinstance(task_id, bool):
            raise bad_request('args.taskId must be an integer or a string')
        window = req_dict(args, 'window')
        spec = req_dict(args, 'strategy', required=False)
        if spec is None:
            strategy = self.strategy
        else:
            name = req_str(spec, 'name')
            params = spec.get('params') or {}
            if not isinstance(params, dict):
                raise bad_request('args.strategy.params must be an object')
            if name == 'custom' and self.strategy.name == 'custom':
                strategy = self.strategy.with_params(params)
            else:
                strategy = strategies.make(name, params, None, self.strategy.timeout_ms)
        bars = market.load_window(window)
        h = self.hooks
        if h is not None and h.has('run_task'):
            return self._user_task(h, task_id, spec, bars)
        t0 = _now()
        res = backtest(strategy, bars, self.portfolio.initial)
        res['computeNs'] = _now() - t0
        res['taskId'] = task_id
        return res

    def _user_task(self, h, task_id, spec, bars):
        task = {'taskId': task_id, 'bars': bars, 'strategy': spec, 'capital': self.portfolio.initial}
        res, ns = h.call('run_task', task)
        expected = 'a JSON-serialisable dict such as {"pnl": number, "trades": int}'
        if not isinstance(res, dict):
            raise h.wrong_shape('run_task', res, expected)
        out = dict(res)
        pnl, trades = out.get('pnl', 0.0), out.get('trades', 0)
        if type(pnl) not in (int, float) or type(trades) is not int:
            raise h.wrong_shape('run_task', res, expected)
        out.update(pnl=float(pnl), trades=trades, taskId=task_id, computeNs=ns, hookNs=ns)
        try:
            encode(out)
        except (TypeError, ValueError):
            raise h.wrong_shape('run_task', res, expected)
        return out

    def op_metrics(self, args):
        from . import resources

        out = resources.read()
        out['uptimeS'] = time.monotonic() - self.started
        out['stateVersion'] = self.state_version
        out['counters'] = self.counters.snapshot()
        if self.hooks is not None:
            out['hooks'] = self.hooks.stats.snapshot()
        return out

    def op_reset_counters(self, args):
        self.counters.reset()
        if self.hooks is not None:
            self.hooks.stats.reset()
        return {}
