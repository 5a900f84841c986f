"""Compact JSON with the C accelerators held once (json.dumps/loads rebuild them per call: ~2 us each way).

The encoder has no circular-reference check (we only encode trees we built) and refuses NaN/Infinity, which
JSON.parse on the host would reject.
"""

import json

try:
    from json.encoder import c_make_encoder, encode_basestring_ascii
except ImportError:  # pragma: no cover
    c_make_encoder = None


def _default(o):
    raise TypeError('Object of type %s is not JSON serializable' % type(o).__name__)


_slow_enc = json.JSONEncoder(separators=(',', ':'), allow_nan=False).encode
_c_enc = None
if c_make_encoder is not None:
    try:
        _c_enc = c_make_encoder(None, _default, encode_basestring_ascii, None, ':', ',', False, False, False)
    except TypeError:  # pragma: no cover  (a future signature change): the slow path still works
        _c_enc = None


def dumps(obj):
    if _c_enc is None:
        return _slow_enc(obj)
    return ''.join(_c_enc(obj, 0))


_scan = json.JSONDecoder().scan_once


def loads(data):
    """Parse one JSON document from bytes or str; raises ValueError (or RecursionError) like json.loads."""
    s = data.decode('utf-8') if not isinstance(data, str) else data
    try:
        obj, end = _scan(s, 0)
    except StopIteration:
        return json.loads(s)  # leading whitespace, or invalid: json.loads gives the standard error message
    if end != len(s) and s[end:].strip():
        return json.loads(s)  # raises "Extra data"
    return obj
