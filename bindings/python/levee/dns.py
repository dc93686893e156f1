"""h.dns for Python: name resolution that never blocks the hub.

    h = levee.Hub()
    h.dns.lookup("localhost", port=80)       # [Endpoint("127.0.0.1:80")]
    h.dns.resolve("example.com", "MX")       # [Record(name=, type=, record=, ttl=)]

lookup runs getaddrinfo on the C worker pool and waits on the request's
descriptor; resolve asks the nameservers of a resolv.conf itself over a hub
UDP socket with the C DNS codec (docs/net.md). Failures raise levee errors:
levee.DNSError (dns.NXDOMAIN, ...), levee.AddressError (addr.*),
levee.Timeout.
"""
import collections

from ._ffi import ffi, lib
from .errors import Closed, SystemError, Timeout, check, error_for
from .sys import Endpoint

_INET, _INET6 = lib.LEVEE_AF_INET, lib.LEVEE_AF_INET6
_STREAM, _DGRAM, _RAW = lib.LEVEE_SOCK_STREAM, lib.LEVEE_SOCK_DGRAM, lib.LEVEE_SOCK_RAW
_FAMILIES = {None: 0, 0: 0, "inet": _INET, "inet6": _INET6, _INET: _INET, _INET6: _INET6}
_SOCKTYPES = {None: 0, 0: 0, "stream": _STREAM, "dgram": _DGRAM, "raw": _RAW,
              _STREAM: _STREAM, _DGRAM: _DGRAM, _RAW: _RAW}
_MAX_ENDPOINTS = 64
_MAX_SERVERS = 8
_ANSWER_SIZE = 65536

Record = collections.namedtuple("Record", "name type record ttl")
Record.__doc__ = """One answer record: name (FQDN with a trailing dot), type
("A", "MX", ...), record (the data as text; TXT keeps its quotes), ttl."""


def _b(s):
    return s.encode() if isinstance(s, str) else s


def _endpoints(out, n):
    return [Endpoint(out + i) for i in range(n)]


class DNS:
    """h.dns: lookup(name, ...) and resolve(qname, qtype, ...)."""

    def __init__(self, hub):
        self.hub = hub
        self._answer = None

    def lookup(self, name, family=0, socktype=0, port=None):
        """Endpoints for name with getaddrinfo semantics (/etc/hosts,
        resolv.conf, IP literals, service names), computed on a worker
        thread while other green threads run. family "inet"/"inet6" (or
        AF_* numbers; default both), socktype "stream" (default) or "dgram",
        port a number or service name. Raises levee.AddressError."""
        fam, st = _FAMILIES.get(family), _SOCKTYPES.get(socktype)
        if fam is None:
            raise error_for(lib.LEVEE_EAFNOSUPPORT)
        if st is None:
            raise error_for(lib.LEVEE_ESOCKTNOSUPPORT)
        if name is not None and (port is None or isinstance(port, int)):
            ep = Endpoint()
            if lib.levee_endpoint_in(ep._ep, _b(name), port or 0) == 0:
                if fam and ep.af != fam:
                    raise error_for(lib.LEVEE_EAI_FAMILY)
                return [ep]
        reqp, fdp = ffi.new("levee_dns_lookup *[1]"), ffi.new("int32_t[1]")
        check(lib.levee_dns_lookup_start(reqp, _b(name) if name is not None else ffi.NULL,
                                         _b(str(port)) if port is not None else ffi.NULL,
                                         fam, st, fdp))
        req, fd = reqp[0], fdp[0]
        try:
            try:
                r_ev, _ = self.hub.register(fd, True, False)
            except BaseException:
                lib.levee_fd_close(fd)
                raise
            out = ffi.new("levee_endpoint[]", _MAX_ENDPOINTS)
            try:
                # Always wait for the descriptor (readable at once when the
                # worker was quicker): a lookup lets the hub run once.
                while True:
                    ev = r_ev.recv()
                    n = lib.levee_dns_lookup_result(req, out, _MAX_ENDPOINTS)
                    if n != lib.LEVEE_EAGAIN:
                        break
                    if ev < 0:  # the descriptor was unregistered under us
                        raise Closed()
            finally:
                self.hub.unregister(fd)
        finally:
            lib.levee_dns_lookup_free(req)
        check(n)
        return _endpoints(out, n)

    def _nameservers(self, resconf, host, port):
        out = ffi.new("levee_endpoint[]", _MAX_SERVERS)
        n = check(lib.levee_dns_resconf(_b(resconf) if resconf is not None else ffi.NULL,
                                        out, _MAX_SERVERS))
        if n == 0:
            raise error_for(lib.LEVEE_DNS_ESERVICE)
        servers = _endpoints(out, n)
        if host is not None or port is not None:
            servers = [Endpoint.inet(host if host is not None else ep.host,
                                     port if port is not None else ep.port) for ep in servers]
        return servers

    def _records(self, n):
        rec = ffi.new("levee_dns_record *")
        out = []
        for i in range(n):
            lib.levee_dns_answer_record(self._answer, i, rec)
            out.append(Record(ffi.string(rec.name).decode("latin-1"),
                              ffi.string(lib.levee_dns_type_name(rec.type)).decode(),
                              ffi.string(rec.data).decode("latin-1"), rec.ttl))
        return out

    def _ask(self, sock, server, query, timeout):
        """Records or an error raised (the server's verdict) for the query
        just sent; None when the server stayed silent for timeout ms."""
        deadline = self.hub.now() + timeout
        while True:
            left = deadline - self.hub.now()
            if left <= 0:
                return None
            sock.timeout = left
            try:
                data, who = sock.recvfrom(_ANSWER_SIZE)
            except Timeout:
                return None
            if who != server:
                continue
            msg = ffi.from_buffer("uint8_t[]", data)
            rc = lib.levee_dns_answer_parse(self._answer, query, len(query), msg, len(data))
            if rc != lib.LEVEE_DNS_ENOANSWER:
                if rc < 0:
                    detail = ffi.string(lib.levee_last_message()).decode() or None
                    raise error_for(rc, detail)
                return self._records(rc)

    def resolve(self, qname, qtype="A", timeout=500, resconf=None, host=None, port=None):
        """The ANSWER records of type qtype (A AAAA MX NS CNAME SOA SRV OPT
        PTR TXT SSHFP) for qname, asking each nameserver of resconf (default
        /etc/resolv.conf; host/port override every one) in turn for timeout
        ms over one UDP socket per address family. Raises DNSError
        (dns.NXDOMAIN for an IP literal or an unknown name, dns.<RCODE>,
        dns.EILLEGAL for a malformed answer) or levee.Timeout when every
        server stayed silent."""
        t = check(lib.levee_dns_type(_b(qtype)))
        probe = Endpoint()
        if lib.levee_endpoint_in(probe._ep, _b(qname), 0) == 0:
            raise error_for(lib.LEVEE_DNS_NXDOMAIN)
        servers = self._nameservers(resconf, host, port)
        buf, idp = ffi.new("uint8_t[512]"), ffi.new("uint16_t *")
        qlen = check(lib.levee_dns_query(buf, 512, _b(qname), t, idp))
        query = bytes(ffi.buffer(buf, qlen))
        if self._answer is None:
            out = ffi.new("levee_dns_answer **")
            check(lib.levee_dns_answer_new(out))
            self._answer = ffi.gc(out[0], lib.levee_dns_answer_free)
        socks, unsent, asked = {}, None, False
        try:
            for server in servers:
                sock = socks.get(server.af)
                if sock is None:
                    sock = self.hub.dgram.bind(0, "::" if server.af == _INET6 else "0.0.0.0")
                    socks[server.af] = sock
                try:
                    sock.sendto(server, query)
                except SystemError as e:  # cannot reach this server: skip it
                    unsent = e
                    continue
                recs = self._ask(sock, server, query, timeout)
                if recs is not None:
                    return recs
                asked = True
        finally:
            for sock in socks.values():
                sock.close()
        if unsent is not None and not asked:
            raise unsent
        raise Timeout()
