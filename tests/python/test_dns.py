"""h.dns for Python: resolve against a DNS responder written here (a plain
UDP socket served by an OS thread on 127.0.0.1, found through a temporary
resolv.conf), lookup through the getaddrinfo worker with names from
/etc/hosts only. Nothing leaves the machine."""
import gc
import os
import socket
import struct
import threading

import pytest

import levee
from levee.dns import Record

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
         "SRV": 33, "SSHFP": 44}


def wire_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p) + b"\0"


def question(q):
    """(lower-case name, qtype, offset past the question) of a query."""
    labels, off = [], 12
    while q[off]:
        labels.append(q[off + 1:off + 1 + q[off]].decode())
        off += 1 + q[off]
    qtype = struct.unpack("!H", q[off + 1:off + 3])[0]
    return ".".join(labels).lower(), qtype, off + 5


def response(q, rcode=0, answers=()):
    """A response to q; answers are (owner or None for a pointer to the
    question name, type, ttl, rdata)."""
    _, _, qend = question(q)
    out = [q[:2], bytes([0x81, 0x80 | rcode]), struct.pack("!HHHH", 1, len(answers), 0, 0),
           q[12:qend]]
    for owner, rtype, ttl, rdata in answers:
        out.append(wire_name(owner) if owner else b"\xc0\x0c")
        out.append(struct.pack("!HHIH", TYPES[rtype], 1, ttl, len(rdata)) + rdata)
    return b"".join(out)


def stray(q):
    wrong = bytes([q[0] ^ 0xff]) + q[1:]
    return [response(wrong, 0, [(None, "A", 5, bytes([9, 9, 9, 9]))]),
            response(q, 0, [(None, "A", 5, bytes([1, 2, 3, 4]))])]


def broken(q):  # an owner name that points at itself
    _, _, qend = question(q)
    r = response(q, 0, [(None, "A", 5, bytes([1, 2, 3, 4]))])
    return r[:qend] + bytes([0xC0, qend]) + r[qend + 2:]


ZONE = {
    "imgx.com": lambda q: response(q, 0, [(None, "A", 300, bytes([162, 255, 119, 249])),
                                          (None, "A", 60, bytes([10, 0, 0, 1]))]),
    "v6.test": lambda q: response(q, 0, [(None, "AAAA", 30, socket.inet_pton(socket.AF_INET6,
                                                                             "2001:db8::1"))]),
    "mail.test": lambda q: response(q, 0, [(None, "MX", 3600, b"\0\x0a\2mx\xc0\x0c"),
                                           (None, "MX", 3600, b"\0\x14" + wire_name("backup.example"))]),
    "txt.test": lambda q: response(q, 0, [(None, "TXT", 5, b"\x0bv=spf1 -all")]),
    "www.opendns.com": lambda q: response(q, 0, [
        (None, "CNAME", 100, wire_name("www.opendns.org")),
        ("www.opendns.org", "A", 50, bytes([67, 215, 92, 210]))]),
    "_sip._tcp.test": lambda q: response(q, 0, [
        (None, "SRV", 86400, struct.pack("!HHH", 10, 60, 5060) + wire_name("sip.test"))]),
    "nowhere.test": lambda q: response(q, 3),
    "notimp.test": lambda q: response(q, 4),
    "servfail.test": lambda q: response(q, 2),
    "broken.test": broken,
    "stray.test": stray,
    "svc.test": lambda q: response(q, 0, [(None, "A", 5, bytes([127, 0, 0, 1]))]
                                   if question(q)[1] == 1 else []),
}


class Responder:
    """A DNS responder on 127.0.0.1 in an OS thread (silent when told)."""

    def __init__(self, silent=False):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.silent, self.seen, self.stop = silent, [], False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                q, who = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            name, qtype, _ = question(q)
            self.seen.append("%s/%d" % (name, qtype))
            handler = ZONE.get(name)
            if self.silent or handler is None:
                continue
            out = handler(q)
            for datagram in out if isinstance(out, list) else [out]:
                self.sock.sendto(datagram, who)

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture
def h():
    return levee.Hub()


@pytest.fixture
def server():
    r = Responder()
    yield r
    r.close()


@pytest.fixture
def resconf(tmp_path):
    def write(*lines):
        path = tmp_path / "resolv.conf"
        path.write_text("# written by test_dns\nsearch example.com\n" + "".join(l + "\n" for l in lines))
        return str(path)
    return write


@pytest.fixture
def conf(server, resconf):
    return resconf("nameserver [127.0.0.1]:%d" % server.port)


def test_resolve_a_records(h, conf, server):
    recs = h.dns.resolve("imgx.com", "A", resconf=conf)
    assert recs == [Record("imgx.com.", "A", "162.255.119.249", 300),
                    Record("imgx.com.", "A", "10.0.0.1", 60)]
    assert recs[0].name == "imgx.com." and recs[0].ttl == 300
    assert server.seen == ["imgx.com/1"]
    assert len(h.dns.resolve("imgx.com.", resconf=conf)) == 2  # qtype defaults to A


def test_resolve_aaaa_mx_txt_srv(h, conf):
    assert h.dns.resolve("v6.test", "AAAA", resconf=conf) == [
        Record("v6.test.", "AAAA", "2001:db8::1", 30)]
    assert [r.record for r in h.dns.resolve("mail.test", "MX", resconf=conf)] == [
        "10 mx.mail.test.", "20 backup.example."]
    assert h.dns.resolve("txt.test", "TXT", resconf=conf) == [
        Record("txt.test.", "TXT", '"v=spf1 -all"', 5)]
    srv = h.dns.resolve("_sip._tcp.test", "srv", resconf=conf)
    assert srv == [Record("_sip._tcp.test.", "SRV", "10 60 5060 sip.test.", 86400)]


def test_resolve_cname_chain_reports_the_final_owner(h, conf):
    assert h.dns.resolve("www.opendns.com", "A", resconf=conf) == [
        Record("www.opendns.org.", "A", "67.215.92.210", 50)]
    assert h.dns.resolve("www.opendns.com", "CNAME", resconf=conf) == [
        Record("www.opendns.com.", "CNAME", "www.opendns.org.", 100)]


def test_resolve_rcodes_raise_dns_errors(h, conf):
    with pytest.raises(levee.DNSError) as e:
        h.dns.resolve("nowhere.test", resconf=conf)
    assert e.value.is_("dns", "NXDOMAIN") and e.value.code == levee.lib.LEVEE_DNS_NXDOMAIN
    with pytest.raises(levee.DNSError) as e:
        h.dns.resolve("notimp.test", resconf=conf)
    assert e.value.name == "NOTIMP"
    with pytest.raises(levee.DNSError) as e:
        h.dns.resolve("servfail.test", "MX", resconf=conf)
    assert e.value.name == "SERVFAIL"


def test_resolve_malformed_answer_is_a_clear_error_and_strays_are_ignored(h, conf):
    with pytest.raises(levee.DNSError) as e:
        h.dns.resolve("broken.test", resconf=conf)
    assert e.value.name == "EILLEGAL"
    assert "compression pointer" in str(e.value)
    assert h.dns.resolve("stray.test", resconf=conf) == [Record("stray.test.", "A", "1.2.3.4", 5)]


def test_resolve_silent_server_times_out_then_the_next_is_asked(h, resconf):
    quiet, good = Responder(silent=True), Responder()
    try:
        conf = resconf("nameserver [127.0.0.1]:%d" % quiet.port, "nameserver 0.0.0.0",
                       "nameserver [127.0.0.1]:%d" % good.port)
        ticks = []

        def ticker():
            for i in range(5):
                ticks.append(i)
                h.sleep(1)
        h.spawn(ticker)
        recs = h.dns.resolve("imgx.com", timeout=30, resconf=conf)
        assert recs[0].record == "162.255.119.249"
        assert quiet.seen == ["imgx.com/1"] and good.seen == ["imgx.com/1"]
        # The hub ran while resolve waited: the ticker's 1 ms timer expires
        # before the 30 ms nameserver timeout, whatever the machine's load.
        assert ticks[:2] == [0, 1]
        with pytest.raises(levee.Timeout):
            h.dns.resolve("imgx.com", timeout=10,
                          resconf=resconf("nameserver [127.0.0.1]:%d" % quiet.port))
    finally:
        quiet.close()
        good.close()
    h.continue_()
    assert not h.in_use()


def test_resolve_host_and_port_override_every_nameserver(h, server, resconf):
    conf = resconf("nameserver 192.0.2.1")  # TEST-NET: never asked
    recs = h.dns.resolve("txt.test", "TXT", resconf=conf, host="127.0.0.1", port=server.port)
    assert recs[0].record == '"v=spf1 -all"'
    assert server.seen == ["txt.test/16"]


def test_resolve_literals_and_bad_arguments(h, resconf, tmp_path):
    for literal in ("127.0.0.1", "::1"):
        with pytest.raises(levee.DNSError) as e:
            h.dns.resolve(literal)
        assert e.value.name == "NXDOMAIN"
    with pytest.raises(levee.Error) as e:
        h.dns.resolve("x.test", "ANY")
    assert e.value.name == "EINVAL"
    with pytest.raises(FileNotFoundError):
        h.dns.resolve("x.test", resconf=str(tmp_path / "none"))
    with pytest.raises(levee.DNSError) as e:
        h.dns.resolve("x.test", resconf=resconf("nameserver 0.0.0.0"))
    assert e.value.name == "ESERVICE"
    with pytest.raises(levee.DNSError) as e:
        h.dns.resolve("a..b", resconf=resconf())
    assert e.value.name == "EILLEGAL"
    assert not h.in_use()


def test_resolve_closes_its_sockets(h, conf):
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        h.dns.resolve("imgx.com", resconf=conf)
    h.continue_()
    assert len(os.listdir("/proc/self/fd")) == before


def hosts_name():
    """The first IPv4 name of /etc/hosts besides localhost, and its address."""
    with open("/etc/hosts") as f:
        for line in f:
            fields = line.split("#")[0].split()
            if len(fields) >= 2 and fields[0].count(".") == 3:
                for name in fields[1:]:
                    if name != "localhost":
                        return name, fields[0]
    return None, None


def test_lookup_localhost_services_and_literals(h):
    assert [str(e) for e in h.dns.lookup("localhost", family="inet", port=80)] == ["127.0.0.1:80"]
    assert h.dns.lookup("localhost", family="inet", socktype="stream", port="http")[0].port == 80
    assert [str(e) for e in h.dns.lookup("::1", port="https")] == ["[::1]:443"]
    assert [str(e) for e in h.dns.lookup("10.1.2.3", port=7)] == ["10.1.2.3:7"]
    with pytest.raises(levee.AddressError) as e:
        h.dns.lookup("10.1.2.3", family="inet6")
    assert e.value.name == "EFAMILY"
    with pytest.raises(levee.AddressError) as e:
        h.dns.lookup("127.0.0.1", port="no-such-service-x")
    assert e.value.name in ("ESERVICE", "ENONAME")
    with pytest.raises(OSError):
        h.dns.lookup("localhost", family="unix")
    assert not h.in_use()


def test_lookup_a_hosts_file_name(h):
    name, addr = hosts_name()
    assert name, "/etc/hosts lists no IPv4 name besides localhost"
    assert addr in [e.host for e in h.dns.lookup(name, family="inet")]


def test_lookup_waits_on_the_worker_while_other_green_threads_run(h):
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    results, order = {}, []

    def look(i):
        results[i] = str(h.dns.lookup("localhost", family=socket.AF_INET, port=i)[0])
        order.append("done %d" % i)
    for i in range(1, 4):
        h.spawn(look, i)
        # spawn returns when the thread blocks: a lookup on the hub thread
        # would be finished, this one waits for its worker.
        order.append("spawned %d" % i)
        assert i not in results
    while len(results) < 3:
        h.continue_()
    for i in range(1, 4):
        assert order.index("spawned %d" % i) < order.index("done %d" % i)
    assert results == {1: "127.0.0.1:1", 2: "127.0.0.1:2", 3: "127.0.0.1:3"}
    h.continue_()
    assert not h.in_use()
    assert len(os.listdir("/proc/self/fd")) == before


def test_dial_looks_names_up_off_the_hub(h):
    serve = h.stream.listen(port=0)
    name, _ = hosts_name()
    for host in ("localhost", name):
        with h.stream.dial(port=serve.port(), host=host) as conn:
            assert conn.peername().port == serve.port()
    serve.close()


def test_dial_async_resolves_through_h_dns(h, server, conf):
    serve = h.stream.listen(port=0)
    with h.stream.dial(port=serve.port(), host="svc.test", async_=True,
                       dns={"resconf": conf}) as conn:
        assert conn.peername().host == "127.0.0.1"
    assert server.seen == ["svc.test/1"]
    with pytest.raises(levee.DNSError):
        h.stream.dial(port=serve.port(), host="nowhere.test", async_=True, dns={"resconf": conf})
    with pytest.raises(levee.AddressError) as e:
        h.stream.dial(port=70000, host="svc.test", async_=True, dns={"resconf": conf})
    assert e.value.name == "ENONAME"
    serve.close()
