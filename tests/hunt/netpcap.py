"""A tiny pcap writer for the network hunts' own test traffic (tests/hunt/t_net.py).

Writes Ethernet/IPv4 frames with correct IP and TCP/UDP/ICMP checksums: TCP sessions that
complete, are refused, go unanswered or are reset after the handshake; HTTP requests; ICMP
echo; bulk downloads whose data frames are cut to a snap length (the wire length stays real,
so byte counts are real while the file stays small).  Times are float seconds since the epoch.
"""
import socket
import struct


def _sum16(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Pcap:
    SNAP = 128

    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.port = 40000

    def close(self):
        self.f.close()

    def next_port(self):
        self.port = 40000 + (self.port - 39999) % 20000
        return self.port

    def _frame(self, t, src, dst, proto, l4, wire_extra=0):
        total = 20 + len(l4) + wire_extra
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0x4000, 64, proto, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
        ip = ip[:10] + struct.pack("!H", _sum16(ip)) + ip[12:]
        eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
        frame = eth + ip + l4
        wire = len(frame) + wire_extra
        cap = frame[:self.SNAP] if wire_extra else frame
        sec = int(t)
        self.f.write(struct.pack("<IIII", sec, int(round((t - sec) * 1e6)), len(cap), wire))
        self.f.write(cap)

    def _tcp(self, t, src, sp, dst, dp, seq, ack, flags, data=b"", wire_len=None):
        """One TCP segment; wire_len > len(data) makes a snapped bulk frame."""
        n = wire_len if wire_len is not None else len(data)
        body = data if wire_len is None else b"\0" * n
        hdr = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                          flags, 65535, 0, 0)
        pseudo = struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, 6,
                             len(hdr) + n)
        c = _sum16(pseudo + hdr + body)
        hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
        if wire_len is None:
            self._frame(t, src, dst, 6, hdr + data)
        else:
            self._frame(t, src, dst, 6, hdr + body[:self.SNAP], wire_extra=n - min(n, self.SNAP))

    def tcp(self, t, src, dst, dport, kind="ok", c2s=b"", s2c=b"", s2c_bulk=0, sport=None):
        """A TCP session: kind ok (handshake, data, FIN), s0 (SYN only), rej (SYN, RST-ACK),
        rsto (handshake then the client resets), syn-rst (half-open scan: SYN, SYN-ACK, RST).
        s2c_bulk adds that many server->client bytes in snapped 1460-byte frames."""
        sp = sport or self.next_port()
        cs, ss = 1000, 5000
        S, A, F, R, P = 0x02, 0x10, 0x01, 0x04, 0x08
        self._tcp(t, src, sp, dst, dport, cs, 0, S)
        if kind == "s0":
            self._tcp(t + 1, src, sp, dst, dport, cs, 0, S)
            return
        if kind == "rej":
            self._tcp(t + 0.0005, dst, dport, src, sp, 0, cs + 1, R | A)
            return
        self._tcp(t + 0.0005, dst, dport, src, sp, ss, cs + 1, S | A)
        if kind == "syn-rst":
            self._tcp(t + 0.001, src, sp, dst, dport, cs + 1, 0, R)
            return
        self._tcp(t + 0.001, src, sp, dst, dport, cs + 1, ss + 1, A)
        cs += 1
        ss += 1
        if kind == "rsto":
            self._tcp(t + 0.002, src, sp, dst, dport, cs, ss, R | A)
            return
        tt = t + 0.002
        if c2s:
            self._tcp(tt, src, sp, dst, dport, cs, ss, P | A, c2s)
            cs += len(c2s)
            tt += 0.001
        if s2c:
            self._tcp(tt, dst, dport, src, sp, ss, cs, P | A, s2c)
            ss += len(s2c)
            tt += 0.001
        left = s2c_bulk
        while left > 0:
            n = min(1460, left)
            self._tcp(tt, dst, dport, src, sp, ss, cs, A, wire_len=n)
            ss += n
            left -= n
            tt += 0.0001
        self._tcp(tt, src, sp, dst, dport, cs, ss, F | A)
        self._tcp(tt + 0.0005, dst, dport, src, sp, ss, cs + 1, F | A)
        self._tcp(tt + 0.001, src, sp, dst, dport, cs + 1, ss + 1, A)

    def http(self, t, src, dst, path, host="vpn.example", status=404, dport=80):
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0\r\n\r\n" %
               (path, host)).encode()
        body = b"not found"
        resp = ("HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n" % (status, len(body))).encode()
        self.tcp(t, src, dst, dport, c2s=req, s2c=resp + body)

    def icmp_echo(self, t, src, dst, reply=True, ident=1, seq=1):
        def pkt(typ):
            h = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + b"ping" * 8
            return h[:2] + struct.pack("!H", _sum16(h)) + h[4:]
        self._frame(t, src, dst, 1, pkt(8))
        if reply:
            self._frame(t + 0.0003, dst, src, 1, pkt(0))

    def udp(self, t, src, dst, dport, data=b"x", reply=None, sport=None):
        sp = sport or self.next_port()

        def seg(a, ap, b, bp, d):
            h = struct.pack("!HHHH", ap, bp, 8 + len(d), 0)
            pseudo = struct.pack("!4s4sBBH", socket.inet_aton(a), socket.inet_aton(b), 0, 17,
                                 8 + len(d))
            c = _sum16(pseudo + h + d) or 0xFFFF
            return h[:6] + struct.pack("!H", c) + d
        self._frame(t, src, dst, 17, seg(src, sp, dst, dport, data))
        if reply is not None:
            self._frame(t + 0.0003, dst, src, 17, seg(dst, dport, src, sp, reply))
