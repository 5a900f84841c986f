"""Errors that travel back to the host as `{"ok": false, "error": {"type", "message"}}`."""


class AgentError(Exception):
    def __init__(self, type_, message):
        super().__init__(message)
        self.type = type_
        self.message = message


def bad_request(message):
    return AgentError('BadRequest', message)


def _name(path):
    return 'args.' + path


def req_int(args, key, minimum=None, default=None, required=True):
    """Read an integer argument (bools are not integers here) with a clear message naming the field."""
    if key not in args or args[key] is None:
        if default is not None or not required:
            return default
        raise bad_request('%s is required (integer)' % _name(key))
    v = args[key]
    if type(v) is not int:
        if type(v) is float and v.is_integer():
            v = int(v)
        else:
            raise bad_request('%s must be an integer, got %s' % (_name(key), type(v).__name__))
    if minimum is not None and v < minimum:
        raise bad_request('%s must be >= %d, got %d' % (_name(key), minimum, v))
    return v


def req_str(args, key, required=True, default=None):
    v = args.get(key)
    if v is None:
        if required:
            raise bad_request('%s is required (string)' % _name(key))
        return default
    if not isinstance(v, str):
        raise bad_request('%s must be a string, got %s' % (_name(key), type(v).__name__))
    return v


def req_num(args, key, default=None, minimum=None):
    v = args.get(key)
    if v is None:
        if default is None:
            raise bad_request('%s is required (number)' % _name(key))
        return default
    if type(v) not in (int, float) or v != v:
        raise bad_request('%s must be a number, got %s' % (_name(key), type(v).__name__))
    if minimum is not None and v < minimum:
        raise bad_request('%s must be >= %s, got %s' % (_name(key), minimum, v))
    return v


def req_dict(args, key, required=True):
    v = args.get(key)
    if v is None:
        if required:
            raise bad_request('%s is required (object)' % _name(key))
        return None
    if not isinstance(v, dict):
        raise bad_request('%s must be an object, got %s' % (_name(key), type(v).__name__))
    return v
