"""tlsweb_pcap.py — small, exact captures for the rare-tls / cert / http-client / cloud-exfil tests.

Writes classic pcap (Ethernet, IPv4) with whole TCP conversations (handshake, data both ways,
FIN), TLS 1.2 handshakes whose ClientHello is chosen field by field (so JA3/JA4 are known) and
whose server sends a real certificate (DER built here, signed with a key from the openssl
command line, so dates and names are exact), HTTP/1.1
requests/responses, DNS answers, and bulk transfers whose frames are cut to a snap length
(the sizes count, the bytes are not stored). Independent of konseki's own generator.
"""
import os
import socket
import struct
import subprocess
import tempfile


from netpcap import _sum16 as _csum  # noqa: E402  (the Internet checksum, RFC 1071)


def _ip4(src, dst, proto, total, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident & 0xFFFF, 0x4000, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]


class Pcap:
    SNAP = 128  # bytes kept of a bulk frame

    def __init__(self):
        self.frames = []  # (t, bytes, wirelen)
        self.ident = 1

    def _frame(self, t, src, dst, proto, l4, wire_extra=0, keep=None):
        # the IP total length says what was on the wire, kept or not
        ip = _ip4(src, dst, proto, 20 + len(l4) + wire_extra, self.ident)
        self.ident += 1
        eth = b"\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa\x08\x00"
        data = eth + ip + l4
        wire = len(data) + wire_extra
        if keep is not None:
            data = data[:keep]
        self.frames.append((t, data, wire))

    def _tcp(self, t, src, sp, dst, dp, seq, ack, flags, payload=b"", wire_extra=0):
        hdr = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                          flags, 65535, 0, 0)
        if not wire_extra:
            pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(
                "!BBH", 0, 6, len(hdr) + len(payload))
            c = _csum(pseudo + hdr + payload)
            hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
            self._frame(t, src, dst, 6, hdr + payload)
        else:
            # a bulk segment: payload not kept (snap length), its size on the wire is real
            self._frame(t, src, dst, 6, hdr, wire_extra=wire_extra, keep=self.SNAP)

    def tcp(self, t, cli, srv, msgs, rtt=0.02, bulk_up=0, bulk_down=0, gap=0.001):
        """One TCP conversation from time t: msgs = [(0 client→server | 1, bytes)], then bulk
        bytes each way (cut frames), then FIN.  Returns the end time."""
        (cip, cp), (sip, sp) = cli, srv
        cs, ss = 1000, 5000
        self._tcp(t, cip, cp, sip, sp, cs, 0, 0x02)
        self._tcp(t + rtt / 2, sip, sp, cip, cp, ss, cs + 1, 0x12)
        self._tcp(t + rtt, cip, cp, sip, sp, cs + 1, ss + 1, 0x10)
        cs, ss, t = cs + 1, ss + 1, t + rtt
        for d, b in msgs:
            for i in range(0, len(b), 1400):
                chunk = b[i:i + 1400]
                t += gap
                if d == 0:
                    self._tcp(t, cip, cp, sip, sp, cs, ss, 0x18, chunk)
                    cs += len(chunk)
                else:
                    self._tcp(t, sip, sp, cip, cp, ss, cs, 0x18, chunk)
                    ss += len(chunk)
            t += rtt / 2
        for d, n in ((0, bulk_up), (1, bulk_down)):
            while n > 0:
                k = min(n, 1400)
                t += 0.0001
                if d == 0:
                    self._tcp(t, cip, cp, sip, sp, cs, ss, 0x10, wire_extra=k)
                    cs += k
                else:
                    self._tcp(t, sip, sp, cip, cp, ss, cs, 0x10, wire_extra=k)
                    ss += k
                n -= k
        t += gap
        self._tcp(t, cip, cp, sip, sp, cs, ss, 0x11)
        self._tcp(t + rtt / 2, sip, sp, cip, cp, ss, cs + 1, 0x11)
        self._tcp(t + rtt, cip, cp, sip, sp, cs + 1, ss + 1, 0x10)
        return t + rtt

    def dns(self, t, cli, server, name, addrs, qid=0x1234, sport=53000):
        q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + _qname(name) + b"\0\1\0\1"
        a = struct.pack("!HHHHHH", qid, 0x8180, 1, len(addrs), 0, 0) + _qname(name) + b"\0\1\0\1"
        for ip in addrs:
            a += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton(ip)
        for when, s, d, sp, dp, p in ((t, cli, server, sport, 53, q),
                                      (t + 0.005, server, cli, 53, sport, a)):
            udp = struct.pack("!HHHH", sp, dp, 8 + len(p), 0) + p
            self._frame(when, s, d, 17, udp)

    def write(self, path):
        self.frames.sort(key=lambda f: f[0])
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, data, wire in self.frames:
                sec = int(t)
                f.write(struct.pack("<IIII", sec, int(round((t - sec) * 1e6)) % 1000000,
                                    len(data), wire))
                f.write(data)


def _qname(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


# ------------------------------------------------------------------ TLS 1.2 (RFC 5246)

def _vec(n, b):
    return len(b).to_bytes(n, "big") + b


def _ext(t, b):
    return struct.pack("!HH", t, len(b)) + b


def client_hello(sni, ciphers=(0xC02F, 0xC030, 0x009E, 0x002F), groups=(23, 24),
                 alpn=(b"http/1.1",), order=None, extra_ext=()):
    """A ClientHello; `order` permutes the extensions (what browsers now do per connection)."""
    exts = []
    if sni:
        name = sni.encode()
        exts.append(_ext(0, _vec(2, b"\0" + _vec(2, name))))
    exts.append(_ext(10, _vec(2, b"".join(struct.pack("!H", g) for g in groups))))
    exts.append(_ext(11, _vec(1, b"\0")))
    exts.append(_ext(13, _vec(2, bytes.fromhex("040105010601"))))
    if alpn:
        exts.append(_ext(16, _vec(2, b"".join(_vec(1, a) for a in alpn))))
    for e in extra_ext:
        exts.append(_ext(e, b""))
    if order:
        exts = [exts[i] for i in order]
    body = (b"\x03\x03" + b"\x11" * 32 + b"\0" +
            _vec(2, b"".join(struct.pack("!H", c) for c in ciphers)) + b"\x01\x00" +
            _vec(2, b"".join(exts)))
    hs = b"\x01" + _vec(3, body)
    return b"\x16\x03\x01" + _vec(2, hs)


def server_flight(cert_der, cipher=0xC02F):
    sh = b"\x03\x03" + b"\x22" * 32 + b"\0" + struct.pack("!H", cipher) + b"\0" + _vec(
        2, _ext(0xFF01, b"\0"))
    msgs = b"\x02" + _vec(3, sh)
    msgs += b"\x0b" + _vec(3, _vec(3, _vec(3, cert_der)))
    msgs += b"\x0e\x00\x00\x00"
    return b"\x16\x03\x03" + _vec(2, msgs)


# ------------------------------------------------------------------ X.509 (RFC 5280), DER

def _der(tag, body):
    n = len(body)
    if n < 128:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def _oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for v in parts[2:]:
        enc = [v & 0x7F]
        v >>= 7
        while v:
            enc.append(0x80 | (v & 0x7F))
            v >>= 7
        out += bytes(reversed(enc))
    return _der(6, out)


_ATTR = {"C": "2.5.4.6", "ST": "2.5.4.8", "L": "2.5.4.7", "O": "2.5.4.10", "OU": "2.5.4.11",
         "CN": "2.5.4.3"}


def _name(pairs):
    """[("C", "Earth"), ("CN", "x")] → Name (one attribute per RDN, UTF8String)."""
    return _der(0x30, b"".join(
        _der(0x31, _der(0x30, _oid(_ATTR[k]) + _der(0x0C, v.encode()))) for k, v in pairs))


def _time(t):
    import time as _t
    s = _t.strftime("%Y%m%d%H%M%SZ", _t.gmtime(t))
    return _der(0x17, s[2:].encode()) if 1950 <= int(s[:4]) < 2050 else _der(0x18, s.encode())


class Keys:
    """One P-256 key (openssl command line) that signs every certificate of a test."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tlsweb-key.")
        self.key = os.path.join(self.dir, "k.pem")
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                        self.key], check=True, capture_output=True)
        self.spki = subprocess.run(["openssl", "ec", "-in", self.key, "-pubout", "-outform", "DER"],
                                   check=True, capture_output=True).stdout

    def sign(self, data):
        return subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key], input=data,
                              check=True, capture_output=True).stdout


def cert(keys, subject, issuer=None, not_before=0, days=365, serial=0x1234567, san=None):
    """A certificate (DER) signed with keys: self-signed (and verifiable) when issuer is None."""
    subj = _name(subject)
    iss = _name(issuer) if issuer else subj
    sigalg = _der(0x30, _oid("1.2.840.10045.4.3.2"))
    exts = b""
    if san:
        gn = b"".join(_der(0x82, n.encode()) for n in san)
        exts = _der(0xA3, _der(0x30, _der(0x30, _oid("2.5.29.17") + _der(0x04, _der(0x30, gn)))))
    ser = serial.to_bytes((serial.bit_length() + 8) // 8, "big")
    tbs = _der(0x30, _der(0xA0, _der(2, b"\x02")) + _der(2, ser) + sigalg + iss +
               _der(0x30, _time(not_before) + _time(not_before + days * 86400)) + subj +
               keys.spki + exts)
    sig = keys.sign(tbs)
    return _der(0x30, tbs + sigalg + _der(3, b"\0" + sig))


def tls_session(p, t, cli, srv, sni, cert_der=None, up=600, down=3000, **hello):
    """A TLS 1.2 conversation: hello, the server's flight (with cert_der), application data."""
    msgs = [(0, client_hello(sni, **hello))]
    if cert_der is not None:
        msgs.append((1, server_flight(cert_der)))
    msgs.append((0, b"\x17\x03\x03" + _vec(2, b"\x33" * up)))
    msgs.append((1, b"\x17\x03\x03" + _vec(2, b"\x44" * down)))
    return p.tcp(t, cli, srv, msgs)


def http_session(p, t, cli, srv, host, uri, ua, body=2000, method="GET", upload=0):
    req = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, uri, host)
    if ua is not None:
        req += "User-Agent: %s\r\n" % ua
    if upload:
        req += "Content-Length: %d\r\n" % upload
    req = req.encode() + b"\r\n" + b"u" * upload
    resp = ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            "Content-Length: %d\r\n\r\n" % body).encode() + b"r" * body
    return p.tcp(t, cli, srv, [(0, req), (1, resp)])
