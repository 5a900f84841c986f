"""The user's agent hooks: a module (or package) loaded in every agent that may replace parts of its behaviour.

Hooks: setup(config), decide(bars, state), on_message(message, ctx), vote(round, state), tally(votes),
merge_state(local, incoming), run_task(task). Any may be absent (the built-in behaviour runs). The protocol,
sockets, counters and timing stay the agent's; each call is timed inside the agent (so hook time is reported apart
from transport time), runs under a per-call budget and fails with a HookError naming the hook.

Calls run on the calling (worker) thread: handing each call to another thread cost ~60 µs on a busy 2-core box,
more than a whole loopback message. A watchdog interrupts a pure-Python overrun at its budget; a hook blocked in C
code (sleep, a socket read) cannot be interrupted and is reported as overrun when it returns. The import and
setup() run on their own thread instead, so a module that hangs while loading never hangs `init`.
"""

import os
import threading
import time

from .errors import AgentError

HOOK_NAMES = ('setup', 'decide', 'on_message', 'vote', 'tally', 'merge_state', 'run_task')
_now = time.perf_counter_ns
START_BUDGET_S = 30.0


def hook_error(message):
    return AgentError('HookError', message)


class _Slot:
    """One runner thread: a call is handed over through `go` and handed back through `done` (plain locks)."""

    __slots__ = ('go', 'done', 'lock', 'call', 'res', 'err', 'ns', 'finished', 'abandoned', 'thread')

    def __init__(self):
        self.go = threading.Lock()
        self.go.acquire()
        self.done = threading.Lock()
        self.done.acquire()
        self.lock = threading.Lock()
        self.abandoned = False
        self.thread = threading.Thread(target=self._loop, name='hook', daemon=True)
        self.thread.start()

    def _loop(self):
        while True:
            self.go.acquire()
            fn, args = self.call
            self.err = None
            t0 = _now()
            try:
                self.res = fn(*args)
            except BaseException as e:  # user code may raise anything, SystemExit included
                self.res = None
                self.err = e
            self.ns = _now() - t0
            with self.lock:
                self.finished = True
                if self.abandoned:
                    return  # the caller gave up on us (overrun): this thread retires
            self.done.release()


class _Interrupt(BaseException):
    """Raised asynchronously in an overrunning hook's thread (stops pure-Python loops; C calls finish first)."""


def _async_exc(ident, exc):
    try:
        import ctypes

        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc) if exc else None)
    except Exception:  # best effort
        pass


def _interrupt(thread):
    _async_exc(thread.ident, _Interrupt)


class _Watchdog:
    """Interrupts hook calls that run past their deadline; polls at a quarter of the budget (cheap when idle)."""

    def __init__(self, budget_s):
        self.lock = threading.Lock()
        self.calls = {}  # id(entry) -> entry [deadline, thread ident, done, fired]
        self.period = min(0.25, max(0.01, budget_s / 4))
        self.thread = None

    def watch(self, entry):
        with self.lock:
            self.calls[id(entry)] = entry
            if self.thread is None:
                self.thread = threading.Thread(target=self._loop, name='hook-watchdog', daemon=True)
                self.thread.start()

    def _loop(self):
        while True:
            time.sleep(self.period)
            now = time.monotonic()
            with self.lock:
                for key, e in list(self.calls.items()):
                    if e[2]:
                        del self.calls[key]
                    elif not e[3] and now >= e[0]:
                        e[3] = True
                        _async_exc(e[1], _Interrupt)


class Stats:
    """Per-hook calls, total and largest time (ns), and errors; read by the `metrics` op."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.by = {}

    def _get(self, name):
        s = self.by.get(name)
        if s is None:
            s = self.by[name] = [0, 0, 0, 0]
        return s

    def add(self, name, ns):
        with self._lock:
            s = self._get(name)
            s[0] += 1
            s[1] += ns
            if ns > s[2]:
                s[2] = ns

    def fail(self, name):
        with self._lock:
            self._get(name)[3] += 1

    def snapshot(self):
        with self._lock:
            return {k: {'calls': v[0], 'totalNs': v[1], 'maxNs': v[2], 'errors': v[3]} for k, v in self.by.items()}


class Hooks:
    """The hooks a user module defines (`names`), each called through `call(name, *args) -> (result, ns)`."""

    def __init__(self, path, timeout_ms):
        self.path = path
        self.label = os.path.basename(path.rstrip('/')) or path
        self.budget_s = timeout_ms / 1000.0
        self.timeout_ms = timeout_ms
        # The import and setup() may load libraries or models: they get at least START_BUDGET_S.
        self.start_budget_s = max(self.budget_s, START_BUDGET_S)
        self.fns = {}
        self.stats = Stats()
        self._idle = []
        self._watchdog = _Watchdog(self.budget_s)

    @property
    def names(self):
        return [n for n in HOOK_NAMES if n in self.fns]

    def has(self, name):
        return name in self.fns

    def load(self):
        import importlib.util
        import sys

        path = os.path.abspath(self.path)
        if os.path.isdir(path):
            init = os.path.join(path, '__init__.py')
            if not os.path.isfile(init):
                raise hook_error('hooks module %s: a package folder needs an __init__.py' % self.label)
            locations = [path]
        elif os.path.isfile(path):
            init, locations = path, None
        else:
            raise hook_error('hooks module %s: file not found' % self.label)
        modname = 'swarm_user_hooks'

        def do_import():
            spec = importlib.util.spec_from_file_location(modname, init, submodule_search_locations=locations)
            if spec is None or spec.loader is None:
                raise hook_error('hooks module %s: cannot be loaded as Python' % self.label)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[modname] = mod  # a package's relative imports find their parent here
            spec.loader.exec_module(mod)
            return mod

        try:
            mod, _ = self._run('import', do_import, budget_s=self.start_budget_s)
        except AgentError as e:
            raise hook_error('hooks module %s failed to import: %s' % (self.label, e.message))
        for name in HOOK_NAMES:
            fn = getattr(mod, name, None)
            if fn is not None:
                if not callable(fn):
                    raise hook_error('hooks module %s: %s is not a function' % (self.label, name))
                self.fns[name] = fn
        return self

    def _run(self, name, fn, *args, budget_s=None):
        """fn(*args) on a runner thread within the budget: (result, ns inside the call)."""
        budget_s = budget_s or self.budget_s
        try:
            slot = self._idle.pop()  # atomic under the GIL
        except IndexError:
            slot = _Slot()
        slot.call = (fn, args)
        slot.finished = False
        slot.go.release()
        if not slot.done.acquire(timeout=budget_s):
            with slot.lock:
                if not slot.finished:
                    slot.abandoned = True
                    _interrupt(slot.thread)
                    raise hook_error(
                        'hook %s: exceeded its time budget of %d ms (hooks-timeout-ms)' % (name, budget_s * 1000)
                    )
            slot.done.acquire()  # it finished just as the budget ran out
        res, err, ns = slot.res, slot.err, slot.ns
        slot.call = slot.res = slot.err = None
        self._idle.append(slot)
        if err is not None:
            if isinstance(err, AgentError):
                raise hook_error('hook %s: %s' % (name, err.message))
            raise hook_error('hook %s raised %s: %s' % (name, type(err).__name__, err))
        return res, ns

    def call(self, name, *args):
        """Runs hook `name`; (result, ns). Errors (raise, overrun) are HookErrors naming the hook and the cause."""
        try:
            if name == 'setup':
                res, ns = self._run(name, self.fns[name], *args, budget_s=self.start_budget_s)
            else:
                res, ns = self._direct(name, self.fns[name], args)
        except AgentError:
            self.stats.fail(name)
            raise
        self.stats.add(name, ns)
        return res, ns

    def _direct(self, name, fn, args):
        entry = [time.monotonic() + self.budget_s, threading.get_ident(), False, False]
        wd = self._watchdog
        wd.watch(entry)
        err = None
        ns = 0
        t0 = _now()
        try:
            try:
                res = fn(*args)
            finally:
                ns = _now() - t0
                with wd.lock:
                    entry[2] = True
                    fired = entry[3]
                if fired:
                    _async_exc(entry[1], None)  # clear an interrupt that has not been delivered yet
        except _Interrupt:
            fired = True
        except BaseException as e:  # user code may raise anything, SystemExit included
            err = e
        if fired or ns > self.budget_s * 1e9:
            raise hook_error('hook %s: exceeded its time budget of %d ms (hooks-timeout-ms)' % (name, self.timeout_ms))
        if err is not None:
            if isinstance(err, AgentError):
                raise hook_error('hook %s: %s' % (name, err.message))
            raise hook_error('hook %s raised %s: %s' % (name, type(err).__name__, err))
        return res, ns

    def wrong_shape(self, name, res, expected):
        self.stats.fail(name)
        return hook_error('hook %s returned %s; expected %s' % (name, repr(res)[:80], expected))


def load(path, timeout_ms):
    return Hooks(path, timeout_ms).load()
