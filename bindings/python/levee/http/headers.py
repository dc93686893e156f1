"""levee.http.headers: header fields in arrival order with case-insensitive
lookup."""

__all__ = ["Headers", "has_token"]


class Headers:
    """Header fields in arrival order with case-insensitive lookup.

    h[name] and h.get(name[, default]) give the first value, h.getall(name)
    every value; `name in h`, len(h), iteration over the names in order,
    items() (the (name, value) pairs), add(name, value), h[name] = value
    (replaces every field of that name) and del h[name]."""

    __slots__ = ("_items", "_index")

    def __init__(self, items=None):
        if items is None:
            items = []
        elif isinstance(items, Headers):
            items = list(items._items)
        elif hasattr(items, "items"):
            items = [(k, v) for k, v in items.items()]
        else:
            items = list(items)
        self._items = items
        self._index = None

    def _idx(self):
        idx = self._index
        if idx is None:
            idx = {}
            for k, v in self._items:
                idx.setdefault(k.lower(), []).append(v)
            self._index = idx
        return idx

    def get(self, name, default=None):
        vs = self._idx().get(name.lower())
        return vs[0] if vs else default

    def getall(self, name):
        return list(self._idx().get(name.lower(), ()))

    def __getitem__(self, name):
        vs = self._idx().get(name.lower())
        if not vs:
            raise KeyError(name)
        return vs[0]

    def __contains__(self, name):
        return name.lower() in self._idx()

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return (k for k, _ in self._items)

    def keys(self):
        return [k for k, _ in self._items]

    def items(self):
        return list(self._items)

    def add(self, name, value):
        self._items.append((name, value))
        self._index = None

    def __setitem__(self, name, value):
        self.__delitem__(name, missing_ok=True)
        self.add(name, value)

    def __delitem__(self, name, missing_ok=False):
        low = name.lower()
        kept = [(k, v) for k, v in self._items if k.lower() != low]
        if len(kept) == len(self._items) and not missing_ok:
            raise KeyError(name)
        self._items = kept
        self._index = None

    def __eq__(self, other):
        if isinstance(other, Headers):
            return self._items == other._items
        return NotImplemented

    def __repr__(self):
        return "Headers(%r)" % (self._items,)


def _has_token(value, token):
    """True if the comma-separated header value lists token (any case)."""
    return token in [t.strip() for t in value.lower().split(",")]


def has_token(value, token):
    """True if the comma-separated header value lists token (any case)."""
    return token in [t.strip() for t in value.lower().split(",")]
