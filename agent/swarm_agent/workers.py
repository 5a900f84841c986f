"""A thread pool that never queues behind a busy worker: a task goes to an idle thread or to a new one.

Ops like `consensus` block for seconds waiting on peers; a bounded pool could deadlock the agent, so threads
are created on demand and idle ones are reused (hand-off through a per-worker lock, the cheapest wake-up in
CPython) and retire after `idle_timeout` seconds.
"""

import threading


class _Worker:
    __slots__ = ('wake', 'task')

    def __init__(self, task):
        self.wake = threading.Lock()
        self.wake.acquire()
        self.task = task


class Pool:
    def __init__(self, name, max_idle=8, idle_timeout=30.0):
        self.name = name
        self.max_idle = max_idle
        self.idle_timeout = idle_timeout
        self._idle = []
        self._lock = threading.Lock()

    def submit(self, fn, *args):
        with self._lock:
            if self._idle:
                w = self._idle.pop()
                w.task = (fn, args)
                w.wake.release()
                return
        w = _Worker((fn, args))
        threading.Thread(target=self._run, args=(w,), name=self.name, daemon=True).start()

    def _run(self, w):
        while True:
            fn, args = w.task
            w.task = None
            try:
                fn(*args)
            except BaseException:  # the task reports its own errors; a worker must survive anything
                pass
            with self._lock:
                if len(self._idle) >= self.max_idle:
                    return
                self._idle.append(w)
            if not w.wake.acquire(timeout=self.idle_timeout):
                with self._lock:
                    if w in self._idle:
                        self._idle.remove(w)
                        return
                # a task was handed over while we timed out: take it
                w.wake.acquire()
