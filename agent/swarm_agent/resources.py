"""Resource readings for `metrics`: /proc first (Linux), `resource`/`os` fallbacks, psutil extras only if present."""

import os
import threading
import time


def _proc_status():
    out = {}
    try:
        with open('/proc/self/status', 'rb') as f:
            for line in f:
                if line.startswith((b'VmRSS:', b'VmHWM:', b'Threads:')):
                    k, _, v = line.partition(b':')
                    parts = v.split()
                    n = int(parts[0])
                    # /proc reports memory in kB (kibibytes)
                    out[k.decode()] = n * 1024 if len(parts) > 1 and parts[1] == b'kB' else n
    except (OSError, ValueError, IndexError):
        pass
    return out


def _rusage_maxrss():
    try:
        import resource
        import sys

        r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # Linux reports kilobytes, macOS bytes
        return r if sys.platform == 'darwin' else r * 1024
    except (ImportError, OSError, ValueError):
        return None


def _psutil_extras():
    try:
        import psutil  # noqa: F401  (optional; not installed in the default sandbox)
    except ImportError:
        return None
    try:
        p = psutil.Process()
        out = {'numCtxSwitches': sum(p.num_ctx_switches())}
        try:
            out['numFds'] = p.num_fds()
        except (AttributeError, OSError):
            pass
        mi = p.memory_full_info() if hasattr(p, 'memory_full_info') else None
        if mi is not None and hasattr(mi, 'uss'):
            out['ussBytes'] = mi.uss
        return out
    except Exception as e:  # psutil raises its own types; extras must never break metrics
        return {'error': str(e)}


def has_psutil():
    try:
        import importlib.util

        return importlib.util.find_spec('psutil') is not None
    except (ImportError, ValueError):
        return False


def read():
    st = _proc_status()
    rss = st.get('VmRSS')
    peak = st.get('VmHWM')
    if peak is None:
        peak = _rusage_maxrss()
    if rss is None:
        rss = peak  # best available without /proc: the high-water mark
    t = os.times()
    out = {
        'rssBytes': rss,
        'peakRssBytes': peak,
        'cpuUserS': t.user,
        'cpuSysS': t.system,
        # The same CPU time in ns (CLOCK_PROCESS_CPUTIME_ID): os.times() counts 10 ms ticks, too coarse for a delta
        # of a few hundred ms to be paired against the base's.
        'cpuNs': time.process_time_ns(),
        'threads': st.get('Threads', threading.active_count()),
    }
    extras = _psutil_extras()
    if extras is not None:
        out['psutil'] = extras
    return out
