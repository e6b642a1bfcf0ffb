"""A small pcap writer for the beacon and egress tests (t_beacon.py): TCP sessions carrying a TLS
ClientHello (SNI) and a ServerHello, then application data; single-datagram UDP exchanges
(NTP-like); bulk TCP transfers whose frames are cut at a snap length (the wire length stays real,
as from a sensor with a snaplen), so volume costs no disk.

Independent of the generator on purpose: it plants what the generated scenario does not (a C2
behind rotating CDN addresses, a consumer turning producer) and lets a test say exactly what the
timeline is.
"""
import random
import struct

from netpcap import _sum16 as _csum




def _ip(a):
    return bytes(int(x) for x in a.split("."))


def _mac(a):
    return b"\x02\x00" + _ip(a)


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.frames = []

    def frame(self, t, src, dst, proto, l4, missing=0):
        """A frame at time t; `missing` payload bytes follow on the wire but not in the file."""
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4) + missing, 0, 0x4000, 64, proto,
                         0, _ip(src), _ip(dst))
        ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
        eth = _mac(dst) + _mac(src) + b"\x08\x00"
        self.frames.append((t, eth + ip + l4, missing))

    def close(self):
        self.frames.sort(key=lambda x: x[0])
        for t, b, missing in self.frames:
            us = int(round(t * 1e6))
            self.f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(b),
                                     len(b) + missing))
            self.f.write(b)
        self.f.close()


def _tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 65535, 0, 0) + payload


def client_hello(sni, rnd):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    body = (b"\x03\x03" + bytes(rnd.getrandbits(8) for _ in range(32)) + b"\x00" +
            struct.pack("!H", 4) + b"\x13\x01\x00\x2f" + b"\x01\x00" +
            struct.pack("!H", len(sni_ext)) + sni_ext)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def server_hello(rnd):
    body = (b"\x03\x03" + bytes(rnd.getrandbits(8) for _ in range(32)) + b"\x00" + b"\x00\x2f" +
            b"\x00" + b"\x00\x00")
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


def tls_session(p, t, src, dst, sport, sni, up, down, rnd):
    """One TLS connection at time t: handshake, up/down bytes of application data, FIN."""
    cs, ss = rnd.getrandbits(31), rnd.getrandbits(31)
    rtt = 0.02
    p.frame(t, src, dst, 6, _tcp(sport, 443, cs, 0, 0x02))
    p.frame(t + rtt / 2, dst, src, 6, _tcp(443, sport, ss, cs + 1, 0x12))
    p.frame(t + rtt, src, dst, 6, _tcp(sport, 443, cs + 1, ss + 1, 0x10))
    ch, sh = client_hello(sni, rnd), server_hello(rnd)
    c, s = cs + 1, ss + 1
    p.frame(t + rtt + 0.001, src, dst, 6, _tcp(sport, 443, c, s, 0x18, ch))
    c += len(ch)
    p.frame(t + 1.5 * rtt, dst, src, 6, _tcp(443, sport, s, c, 0x18, sh))
    s += len(sh)
    app_up = b"\x17\x03\x03" + struct.pack("!H", up) + bytes(up)
    p.frame(t + 2 * rtt, src, dst, 6, _tcp(sport, 443, c, s, 0x18, app_up))
    c += len(app_up)
    app_down = b"\x17\x03\x03" + struct.pack("!H", down) + bytes(down)
    p.frame(t + 2.5 * rtt, dst, src, 6, _tcp(443, sport, s, c, 0x18, app_down))
    s += len(app_down)
    p.frame(t + 3 * rtt, src, dst, 6, _tcp(sport, 443, c, s, 0x11))
    p.frame(t + 3.5 * rtt, dst, src, 6, _tcp(443, sport, s, c + 1, 0x11))
    p.frame(t + 4 * rtt, src, dst, 6, _tcp(sport, 443, c + 1, s + 1, 0x10))


def bulk_session(p, t, src, dst, sport, dport, up, down):
    """A TCP connection at t moving `up` bytes to dst and `down` back, in snapped 60000-byte
    frames; one frame per millisecond."""
    cs, ss, chunk = 1000, 5000, 60000
    p.frame(t, src, dst, 6, _tcp(sport, dport, cs, 0, 0x02))
    p.frame(t + 0.001, dst, src, 6, _tcp(dport, sport, ss, cs + 1, 0x12))
    p.frame(t + 0.002, src, dst, 6, _tcp(sport, dport, cs + 1, ss + 1, 0x10))
    c, s, tt = cs + 1, ss + 1, t + 0.003
    while up > 0 or down > 0:
        if up > 0:
            n = min(chunk, up)
            p.frame(tt, src, dst, 6, _tcp(sport, dport, c, s, 0x10), missing=n)
            c, up = c + n, up - n
        if down > 0:
            n = min(chunk, down)
            p.frame(tt, dst, src, 6, _tcp(dport, sport, s, c, 0x10), missing=n)
            s, down = s + n, down - n
        tt += 0.001
    p.frame(tt, src, dst, 6, _tcp(sport, dport, c, s, 0x11))
    p.frame(tt + 0.001, dst, src, 6, _tcp(dport, sport, s, c + 1, 0x11))
    p.frame(tt + 0.002, src, dst, 6, _tcp(sport, dport, c + 1, s + 1, 0x10))


def udp_exchange(p, t, src, dst, sport, dport, size):
    pay = bytes(size)
    p.frame(t, src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + size, 0) + pay)
    p.frame(t + 0.01, dst, src, 17, struct.pack("!HHHH", dport, sport, 8 + size, 0) + pay)


T0 = 1709683200.0  # 2024-03-06T00:00:00Z


def write_scenario(path, seed=7):
    """The C2 host 10.1.10.23 calls cdn-telemetry.example-c2.net every 60 s ±15 % from 08:00 for
    10 h, each time on one of 8 rotating CDN addresses (198.51.100.1-8), which 5 other hosts also
    reach for another name at random times.  Look-alikes: 12 hosts ask NTP at 10.1.1.10 every
    1024 s, 12 hosts check updates.example.com (203.0.113.80) every hour, all day.
    Returns a dict of what was planted."""
    rnd = random.Random(seed)
    p = Pcap(path)
    c2 = "cdn-telemetry.example-c2.net"
    t = T0 + 8 * 3600
    n = 0
    while t < T0 + 18 * 3600:
        dst = "198.51.100.%d" % (1 + rnd.randrange(8))
        tls_session(p, t, "10.1.10.23", dst, 49152 + n % 16000, c2, 700 + rnd.randrange(40),
                    1500 + rnd.randrange(60), rnd)
        n += 1
        t += 60 * (1 + 0.15 * (2 * rnd.random() - 1))
    # browsing the same CDN addresses for other names, at random
    for h in range(5):
        for _ in range(40):
            tt = T0 + 8 * 3600 + rnd.random() * 10 * 3600
            tls_session(p, tt, "10.1.10.%d" % (40 + h), "198.51.100.%d" % (1 + rnd.randrange(8)),
                        1024 + rnd.randrange(60000), "static.example-cdn.net", 600, 30000, rnd)
    for h in range(12):
        off = rnd.random() * 1024
        for k in range(int(86400 / 1024)):
            udp_exchange(p, T0 + off + k * 1024, "10.1.10.%d" % (100 + h), "10.1.1.10", 123, 123,
                         48)
        off = rnd.random() * 3600
        for k in range(24):
            tls_session(p, T0 + off + k * 3600 + rnd.random() * 5, "10.1.10.%d" % (100 + h),
                        "203.0.113.80", 50000 + k, "updates.example.com", 400, 900, rnd)
    p.close()
    return {"src": "10.1.10.23", "name": c2, "connections": n}


def write_egress(path, seed=11):
    """Three days from 2024-03-04.  Ten workstations 10.1.10.50-59 each send about 2 MB and
    receive about 20 MB a day from 198.51.100.200 (several sessions in office hours).  On day 3:
    10.1.10.57 also sends 80 MB to 203.0.113.99 (the exfiltration; a consumer turned producer);
    10.1.10.58 downloads 400 MB (a big download: inbound, not egress); the backup host 10.1.1.60
    sends 150 MB to 198.51.100.250 every day (large but steady).  Returns what was planted."""
    rnd = random.Random(seed)
    p = Pcap(path)
    day0 = 1709510400.0  # 2024-03-04T00:00:00Z
    for d in range(3):
        base = day0 + d * 86400
        for h in range(10):
            ip = "10.1.10.%d" % (50 + h)
            for k in range(5):
                t = base + 9 * 3600 + rnd.random() * 8 * 3600
                bulk_session(p, t, ip, "198.51.100.200", 40000 + d * 100 + k, 443,
                             400000 + rnd.randrange(20000), 4000000 + rnd.randrange(200000))
        bulk_session(p, base + 3600, "10.1.1.60", "198.51.100.250", 41000 + d, 443, 150000000,
                     2000000)
    base = day0 + 2 * 86400
    for k in range(4):
        bulk_session(p, base + 14 * 3600 + k * 600, "10.1.10.57", "203.0.113.99", 42000 + k, 443,
                     20000000, 300000)
    bulk_session(p, base + 15 * 3600, "10.1.10.58", "198.51.100.200", 43000, 443, 500000,
                 400000000)
    p.close()
    return {"src": "10.1.10.57", "dst": "203.0.113.99", "bytes": 80000000}
