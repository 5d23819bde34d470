#!/usr/bin/env python3
"""Writes the captures tests/net_pcap.rs reads, with scapy (a tool that did
not write consentry's parser): into the directory given as the only
argument,

  ethernet.pcap  legacy pcap, Ethernet: a DNS query and its A answer for
                 stats.jpush.cn, a TLS ClientHello with SNI ulogs.umeng.com
                 (scapy's TLS layer, else raw bytes), an HTTP GET with
                 Host: example.org:8080;
  dns.pcapng     pcapng (scapy's PcapNgWriter): a DNS query for ng.example;
  sll.pcap       legacy pcap, Linux cooked capture (113): a DNS query for
                 sll.example.

Every packet's time is set explicitly; the Rust test checks them.
Install scapy with scripts/setup.sh (Debian's python3-scapy).
"""
import struct
import sys
from decimal import Decimal

from scapy.all import DNS, DNSQR, DNSRR, IP, TCP, UDP, Ether, Raw, wrpcap
from scapy.layers.l2 import CookedLinux

PHONE = "10.0.2.15"
RESOLVER = "10.0.2.3"


def at(pkt, when):
    pkt.time = Decimal(when)
    return pkt


def client_hello(host):
    """A TLS record with a ClientHello naming `host`."""
    try:
        from scapy.layers.tls.all import TLS, TLSClientHello
        from scapy.layers.tls.extensions import ServerName, TLS_Ext_ServerName

        hello = TLSClientHello(
            ciphers=[0x1301, 0x1302],
            ext=[TLS_Ext_ServerName(servernames=[ServerName(servername=host.encode())])],
        )
        return bytes(TLS(msg=[hello]))
    except Exception:  # no TLS layer in this scapy: the same bytes by hand
        name = host.encode()
        sni = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
        ext = struct.pack("!HH", 0, len(sni)) + sni
        body = (
            b"\x03\x03" + b"\x07" * 32 + b"\x00"
            + struct.pack("!H", 4) + b"\x13\x01\x13\x02" + b"\x01\x00"
            + struct.pack("!H", len(ext)) + ext
        )
        hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
        return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def ethernet(path):
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    server = "203.0.113.7"
    web = "198.51.100.9"
    pkts = [
        at(eth / IP(src=PHONE, dst=RESOLVER) / UDP(sport=40000, dport=53)
           / DNS(id=7, rd=1, qd=DNSQR(qname="stats.jpush.cn")),
           "1714585933.100000"),
        at(eth / IP(src=RESOLVER, dst=PHONE) / UDP(sport=53, dport=40000)
           / DNS(id=7, qr=1, rd=1, ra=1, qd=DNSQR(qname="stats.jpush.cn"),
                 an=DNSRR(rrname="stats.jpush.cn", type="A", ttl=60, rdata="121.46.19.35")),
           "1714585933.150000"),
        at(eth / IP(src=PHONE, dst=server) / TCP(sport=50000, dport=443, flags="S", seq=1000),
           "1714585934.000000"),
        at(eth / IP(src=PHONE, dst=server)
           / TCP(sport=50000, dport=443, flags="PA", seq=1001, ack=1)
           / Raw(client_hello("ulogs.umeng.com")),
           "1714585934.250000"),
        at(eth / IP(src=PHONE, dst=web) / TCP(sport=50001, dport=8080, flags="S", seq=5000),
           "1714585935.500000"),
        at(eth / IP(src=PHONE, dst=web)
           / TCP(sport=50001, dport=8080, flags="PA", seq=5001, ack=1)
           / Raw(b"GET /collect?id=1 HTTP/1.1\r\nHost: example.org:8080\r\nUser-Agent: t\r\n\r\n"),
           "1714585935.600000"),
    ]
    wrpcap(path, pkts)


def pcapng(path):
    from scapy.utils import PcapNgWriter

    pkt = at(Ether() / IP(src=PHONE, dst=RESOLVER) / UDP(sport=40001, dport=53)
             / DNS(id=9, rd=1, qd=DNSQR(qname="ng.example")),
             "1714585936.000001")
    with PcapNgWriter(path) as w:
        w.write(pkt)


def sll(path):
    pkt = at(CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x01\x00\x00", proto=0x0800)
             / IP(src=PHONE, dst=RESOLVER) / UDP(sport=40002, dport=53)
             / DNS(id=11, rd=1, qd=DNSQR(qname="sll.example")),
             "1714585937.000002")
    wrpcap(path, [pkt])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_pcaps.py DIR")
    out = sys.argv[1]
    ethernet(f"{out}/ethernet.pcap")
    pcapng(f"{out}/dns.pcapng")
    sll(f"{out}/sll.pcap")


if __name__ == "__main__":
    main()
