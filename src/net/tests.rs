//! Captures built in memory: packets from etherparse's builder, DNS from
//! simple-dns's, ClientHellos from a small helper, files from the small
//! writers below (legacy pcap in both byte orders, pcapng).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use etherparse::{LinuxSllPacketType, PacketBuilder};
use simple_dns::rdata::{A, AAAA, CNAME, RData};
use simple_dns::{CLASS, Name, Packet, PacketFlag, QCLASS, QTYPE, Question, ResourceRecord, TYPE};

use super::*;

const T0: i64 = 1_714_585_933_123_456; // 2024-05-01 17:52:13.123456 UTC
const PHONE: [u8; 4] = [10, 0, 2, 15];
const RESOLVER: [u8; 4] = [10, 0, 2, 3];
const SERVER: [u8; 4] = [93, 184, 216, 34];

fn sock(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)
}

// ---- packets ----

fn eth_udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(src, dst, 64)
        .udp(sport, dport);
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

/// A TCP segment (Ethernet) with the given flags.
fn eth_tcp(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    seq: u32,
    syn: bool,
    payload: &[u8],
) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(src, dst, 64)
        .tcp(sport, dport, seq, 65_535);
    let b = if syn { b.syn() } else { b.ack(1).psh() };
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

fn raw_tcp(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    seq: u32,
    syn: bool,
    payload: &[u8],
) -> Vec<u8> {
    let b = PacketBuilder::ipv4(src, dst, 64).tcp(sport, dport, seq, 65_535);
    let b = if syn { b.syn() } else { b.ack(1).psh() };
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

fn query(id: u16, names: &[&str]) -> Vec<u8> {
    let mut p = Packet::new_query(id);
    for n in names {
        p.questions.push(Question::new(
            Name::new_unchecked(n),
            QTYPE::TYPE(TYPE::A),
            QCLASS::CLASS(CLASS::IN),
            false,
        ));
    }
    p.build_bytes_vec().unwrap()
}

/// A response to `name`: CNAME to `alias`, which has 1.2.3.4 and 2001:db8::1.
fn answer(id: u16, name: &str, alias: &str) -> Vec<u8> {
    let mut p = Packet::new_reply(id);
    p.set_flags(PacketFlag::RECURSION_AVAILABLE);
    p.questions.push(Question::new(
        Name::new_unchecked(name),
        QTYPE::TYPE(TYPE::A),
        QCLASS::CLASS(CLASS::IN),
        false,
    ));
    p.answers.push(ResourceRecord::new(
        Name::new_unchecked(name),
        CLASS::IN,
        60,
        RData::CNAME(CNAME(Name::new_unchecked(alias))),
    ));
    p.answers.push(ResourceRecord::new(
        Name::new_unchecked(alias),
        CLASS::IN,
        60,
        RData::A(A {
            address: u32::from(Ipv4Addr::new(1, 2, 3, 4)),
        }),
    ));
    p.answers.push(ResourceRecord::new(
        Name::new_unchecked(alias),
        CLASS::IN,
        60,
        RData::AAAA(AAAA {
            address: u128::from("2001:db8::1".parse::<Ipv6Addr>().unwrap()),
        }),
    ));
    // An unrelated record is not the name's.
    p.answers.push(ResourceRecord::new(
        Name::new_unchecked("other.example"),
        CLASS::IN,
        60,
        RData::A(A {
            address: 0x0909_0909,
        }),
    ));
    p.build_bytes_vec().unwrap()
}

/// A TLS record holding a ClientHello for `host`, padded with an unknown
/// extension to about `size` bytes (a post-quantum key share is ~1.2 KB).
fn client_hello(host: &str, size: usize) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend([7u8; 32]); // random
    body.push(32);
    body.extend([9u8; 32]); // session id
    body.extend([0, 4, 0x13, 0x01, 0x13, 0x02]); // two cipher suites
    body.extend([1, 0]); // null compression
    let mut ext = Vec::new();
    // server_name: list length, host_name type 0, name length, name.
    let name = host.as_bytes();
    let n = u16::try_from(name.len()).unwrap();
    ext.extend([0, 0]);
    ext.extend((n + 5).to_be_bytes());
    ext.extend((n + 3).to_be_bytes());
    ext.push(0);
    ext.extend(n.to_be_bytes());
    ext.extend(name);
    // key_share with one big share, to reach `size`.
    let share = size.saturating_sub(body.len() + ext.len() + 20).max(4);
    let share16 = u16::try_from(share).unwrap();
    ext.extend([0, 0x33]);
    ext.extend((share16 + 6).to_be_bytes());
    ext.extend((share16 + 4).to_be_bytes());
    ext.extend([0x11, 0xec]);
    ext.extend(share16.to_be_bytes());
    ext.extend(std::iter::repeat_n(0xab, share));
    body.extend(u16::try_from(ext.len()).unwrap().to_be_bytes());
    body.extend(ext);
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    let mut hs = vec![1, len[1], len[2], len[3]];
    hs.extend(body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend(u16::try_from(hs.len()).unwrap().to_be_bytes());
    rec.extend(hs);
    rec
}

// ---- files ----

/// A little-endian microsecond pcap.
fn pcap(link: u32, records: &[(i64, Vec<u8>)]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(0xa1b2_c3d4u32.to_le_bytes());
    f.extend(2u16.to_le_bytes());
    f.extend(4u16.to_le_bytes());
    f.extend([0; 8]);
    f.extend(65_535u32.to_le_bytes());
    f.extend(link.to_le_bytes());
    for (us, data) in records {
        f.extend(u32::try_from(us / 1_000_000).unwrap().to_le_bytes());
        f.extend(u32::try_from(us % 1_000_000).unwrap().to_le_bytes());
        let n = u32::try_from(data.len()).unwrap();
        f.extend(n.to_le_bytes());
        f.extend(n.to_le_bytes());
        f.extend(data);
    }
    f
}

/// A big-endian nanosecond pcap.
fn pcap_be_ns(link: u32, records: &[(i64, u32, Vec<u8>)]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(0xa1b2_3c4du32.to_be_bytes());
    f.extend(2u16.to_be_bytes());
    f.extend(4u16.to_be_bytes());
    f.extend([0; 8]);
    f.extend(65_535u32.to_be_bytes());
    f.extend(link.to_be_bytes());
    for (secs, nanos, data) in records {
        f.extend(u32::try_from(*secs).unwrap().to_be_bytes());
        f.extend(nanos.to_be_bytes());
        let n = u32::try_from(data.len()).unwrap();
        f.extend(n.to_be_bytes());
        f.extend(n.to_be_bytes());
        f.extend(data);
    }
    f
}

fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut padded = body.to_vec();
    while padded.len() % 4 != 0 {
        padded.push(0);
    }
    let len = u32::try_from(padded.len() + 12).unwrap();
    let mut b = Vec::new();
    b.extend(kind.to_le_bytes());
    b.extend(len.to_le_bytes());
    b.extend(padded);
    b.extend(len.to_le_bytes());
    b
}

/// A little-endian pcapng: interfaces (link type, `if_tsresol`), then
/// packets (interface, timestamp in its units, data).
fn pcapng(interfaces: &[(u16, Option<u8>)], packets: &[(u32, u64, Vec<u8>)]) -> Vec<u8> {
    let mut shb = Vec::new();
    shb.extend(0x1a2b_3c4du32.to_le_bytes());
    shb.extend(1u16.to_le_bytes());
    shb.extend(0u16.to_le_bytes());
    shb.extend((-1i64).to_le_bytes());
    let mut f = block(0x0a0d_0d0a, &shb);
    for (link, tsresol) in interfaces {
        let mut idb = Vec::new();
        idb.extend(link.to_le_bytes());
        idb.extend([0, 0]);
        idb.extend(0u32.to_le_bytes());
        if let Some(r) = tsresol {
            idb.extend(9u16.to_le_bytes());
            idb.extend(1u16.to_le_bytes());
            idb.extend([*r, 0, 0, 0]);
            idb.extend([0, 0, 0, 0]); // opt_endofopt
        }
        f.extend(block(1, &idb));
    }
    for (iface, ticks, data) in packets {
        let mut epb = Vec::new();
        epb.extend(iface.to_le_bytes());
        epb.extend(u32::try_from(ticks >> 32).unwrap().to_le_bytes());
        epb.extend(u32::try_from(ticks & 0xffff_ffff).unwrap().to_le_bytes());
        let n = u32::try_from(data.len()).unwrap();
        epb.extend(n.to_le_bytes());
        epb.extend(n.to_le_bytes());
        epb.extend(data);
        f.extend(block(6, &epb));
    }
    f
}

fn read(bytes: &[u8]) -> Capture {
    match read_capture(bytes) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

fn summary(c: &Capture) -> Vec<(usize, &'static str, &str)> {
    c.contacts
        .iter()
        .map(|x| (x.packet, x.kind.as_str(), x.domain.as_str()))
        .collect()
}

// ---- tests ----

#[test]
fn a_dns_query_and_its_answer_over_udp() {
    let file = pcap(
        1,
        &[
            (
                T0,
                eth_udp(
                    PHONE,
                    40_000,
                    RESOLVER,
                    53,
                    &query(7, &["Stats.JPush.cn.", "b.example"]),
                ),
            ),
            (
                T0 + 20_000,
                eth_udp(
                    RESOLVER,
                    53,
                    PHONE,
                    40_000,
                    &answer(7, "stats.jpush.cn", "x.cdn.example"),
                ),
            ),
            // mDNS is not DNS here.
            (
                T0 + 30_000,
                eth_udp(
                    PHONE,
                    5353,
                    [224, 0, 0, 251],
                    5353,
                    &query(0, &["printer.local"]),
                ),
            ),
        ],
    );
    let c = read(&file);
    assert_eq!((c.packets, c.undecoded), (3, 0));
    assert_eq!(
        summary(&c),
        [
            (1, "dns-query", "stats.jpush.cn"),
            (1, "dns-query", "b.example"),
            (2, "dns-answer", "stats.jpush.cn"),
        ]
    );
    let q = &c.contacts[0];
    assert_eq!(q.unix_us, T0);
    assert_eq!((q.src, q.dst), (sock(PHONE, 40_000), sock(RESOLVER, 53)));
    let a = &c.contacts[2];
    assert_eq!(a.unix_us, T0 + 20_000);
    assert_eq!(
        a.addresses,
        [
            IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        ]
    );
    assert_eq!(a.aliases, ["x.cdn.example"]);
    assert_eq!(
        q.describe(),
        "2024-05-01 17:52:13.123456 UTC DNS query stats.jpush.cn (10.0.2.15:40000 → 10.0.2.3:53)"
    );
    assert_eq!(
        a.describe(),
        "2024-05-01 17:52:13.143456 UTC DNS answer stats.jpush.cn = 1.2.3.4, 2001:db8::1 via x.cdn.example (10.0.2.3:53 → 10.0.2.15:40000)"
    );
}

#[test]
fn dns_over_tcp_is_read_with_its_length_prefix() {
    let q = query(9, &["big.example"]);
    let mut framed = u16::try_from(q.len()).unwrap().to_be_bytes().to_vec();
    framed.extend(&q);
    let a = answer(9, "big.example", "edge.example");
    let mut framed_a = u16::try_from(a.len()).unwrap().to_be_bytes().to_vec();
    framed_a.extend(&a);
    // The query's length prefix arrives alone, then the message.
    let file = pcap(
        1,
        &[
            (T0, eth_tcp(PHONE, 41_000, RESOLVER, 53, 100, true, &[])),
            (T0 + 1, eth_tcp(RESOLVER, 53, PHONE, 41_000, 900, true, &[])),
            (
                T0 + 2,
                eth_tcp(PHONE, 41_000, RESOLVER, 53, 101, false, &framed[..2]),
            ),
            (
                T0 + 3,
                eth_tcp(PHONE, 41_000, RESOLVER, 53, 103, false, &framed[2..]),
            ),
            (
                T0 + 4,
                eth_tcp(RESOLVER, 53, PHONE, 41_000, 901, false, &framed_a),
            ),
        ],
    );
    let c = read(&file);
    assert_eq!(
        summary(&c),
        [
            (3, "dns-query", "big.example"),
            (5, "dns-answer", "big.example")
        ]
    );
    assert_eq!(
        c.contacts[0].unix_us,
        T0 + 2,
        "the time of the message's first byte"
    );
    assert_eq!(c.contacts[1].aliases, ["edge.example"]);
}

#[test]
fn the_sni_of_a_hello_in_one_segment_on_any_port() {
    let hello = client_hello("ULogs.Umeng.com", 600);
    let file = pcap_be_ns(
        101,
        &[
            (
                1_714_585_933,
                5_000_999,
                raw_tcp(PHONE, 50_000, SERVER, 8443, 7, true, &[]),
            ),
            (
                1_714_585_933,
                123_456_789,
                raw_tcp(PHONE, 50_000, SERVER, 8443, 8, false, &hello),
            ),
            // The server's hello is not a ClientHello.
            (
                1_714_585_933,
                200_000_000,
                raw_tcp(
                    SERVER,
                    8443,
                    PHONE,
                    50_000,
                    1,
                    false,
                    &[0x16, 3, 3, 0, 4, 2, 0, 0, 0],
                ),
            ),
        ],
    );
    let c = read(&file);
    assert_eq!(summary(&c), [(2, "tls-sni", "ulogs.umeng.com")]);
    assert_eq!(
        c.contacts[0].unix_us, 1_714_585_933_123_456,
        "nanoseconds cut to microseconds"
    );
    assert_eq!(c.contacts[0].dst, sock(SERVER, 8443));
    assert!(c.contacts[0].describe().contains("TLS SNI ulogs.umeng.com"));
}

#[test]
fn a_hello_over_two_segments_out_of_order_and_retransmitted() {
    let hello = client_hello("stats.jpush.cn", 1800);
    assert!(hello.len() > 1700, "{}", hello.len());
    let (one, two) = hello.split_at(1400);
    let seq2 = 1001 + u32::try_from(one.len()).unwrap();
    let file = pcap(
        1,
        &[
            (T0, eth_tcp(PHONE, 50_001, SERVER, 443, 1000, true, &[])),
            (
                T0 + 10,
                eth_tcp(PHONE, 50_001, SERVER, 443, seq2, false, two),
            ),
            (
                T0 + 20,
                eth_tcp(PHONE, 50_001, SERVER, 443, 1001, false, one),
            ),
            // Retransmissions read nothing twice.
            (
                T0 + 30,
                eth_tcp(PHONE, 50_001, SERVER, 443, seq2, false, two),
            ),
            (
                T0 + 40,
                eth_tcp(PHONE, 50_001, SERVER, 443, 1001, false, &hello),
            ),
        ],
    );
    let c = read(&file);
    assert_eq!(summary(&c), [(3, "tls-sni", "stats.jpush.cn")]);
    assert_eq!(c.contacts[0].unix_us, T0 + 20, "the first segment's time");
    // In order, without the SYN: read from the first data segment.
    let file = pcap(
        1,
        &[
            (T0, eth_tcp(PHONE, 50_002, SERVER, 443, 5, false, one)),
            (
                T0 + 10,
                eth_tcp(PHONE, 50_002, SERVER, 443, 5 + 1400, false, two),
            ),
        ],
    );
    assert_eq!(summary(&read(&file)), [(1, "tls-sni", "stats.jpush.cn")]);
    // A hello cut by the end of the capture names nothing.
    let file = pcap(
        1,
        &[(T0, eth_tcp(PHONE, 50_003, SERVER, 443, 5, false, one))],
    );
    assert!(read(&file).contacts.is_empty());
}

#[test]
fn a_new_syn_on_the_same_ports_is_a_new_flow() {
    let a = client_hello("a.example", 300);
    let b = client_hello("b.example", 300);
    let file = pcap(
        1,
        &[
            (T0, eth_tcp(PHONE, 50_004, SERVER, 443, 10, true, &[])),
            (T0 + 1, eth_tcp(PHONE, 50_004, SERVER, 443, 11, false, &a)),
            (T0 + 2, eth_tcp(PHONE, 50_004, SERVER, 443, 900, true, &[])),
            (T0 + 3, eth_tcp(PHONE, 50_004, SERVER, 443, 901, false, &b)),
        ],
    );
    assert_eq!(
        summary(&read(&file)),
        [(2, "tls-sni", "a.example"), (4, "tls-sni", "b.example")]
    );
}

#[test]
fn the_host_of_the_first_http_request() {
    let req = b"GET /track?id=1 HTTP/1.1\r\nUser-Agent: x\r\nHost: Example.org:8080\r\n\r\n";
    let (one, two) = req.split_at(30);
    let file = pcap(
        1,
        &[
            (T0, eth_tcp(PHONE, 50_010, SERVER, 8080, 1, true, &[])),
            (T0 + 5, eth_tcp(PHONE, 50_010, SERVER, 8080, 2, false, one)),
            (T0 + 6, eth_tcp(PHONE, 50_010, SERVER, 8080, 32, false, two)),
            // A second request on the flow is not read.
            (
                T0 + 7,
                eth_tcp(
                    PHONE,
                    50_010,
                    SERVER,
                    8080,
                    2 + 70,
                    false,
                    b"GET / HTTP/1.1\r\nHost: later.example\r\n\r\n",
                ),
            ),
            // Not HTTP.
            (
                T0 + 8,
                eth_tcp(PHONE, 50_011, SERVER, 22, 1, false, b"SSH-2.0-x\r\n"),
            ),
        ],
    );
    let c = read(&file);
    assert_eq!(summary(&c), [(2, "http-host", "example.org")]);
    assert_eq!(c.contacts[0].unix_us, T0 + 5);
}

#[test]
fn a_file_cut_short_gives_the_packets_before_the_cut() {
    let first = eth_udp(PHONE, 40_000, RESOLVER, 53, &query(1, &["one.example"]));
    let second_at = 24 + 16 + first.len();
    let file = pcap(
        1,
        &[
            (T0, first),
            (
                T0 + 1,
                eth_udp(PHONE, 40_001, RESOLVER, 53, &query(2, &["two.example"])),
            ),
        ],
    );
    assert_eq!(read(&file).contacts.len(), 2);
    // Cut inside the second record's data, or inside its header.
    for cut in [&file[..file.len() - 10], &file[..second_at + 8]] {
        let c = read(cut);
        assert_eq!(summary(&c), [(1, "dns-query", "one.example")]);
        assert_eq!((c.packets, c.undecoded), (2, 1));
    }
    // Cut just after a whole record: nothing is cut.
    assert_eq!(read(&file[..second_at]).undecoded, 0);
    // Nothing written, or the file header cut: an empty capture.
    assert_eq!(read(&[]), Capture::default());
    assert_eq!(read(&file[..3]), Capture::default());
    assert_eq!(read(&file[..20]), Capture::default());
    // A pcapng cut inside its second packet block.
    let ng = pcapng(
        &[(1, None)],
        &[
            (
                0,
                1,
                eth_udp(PHONE, 40_000, RESOLVER, 53, &query(1, &["one.example"])),
            ),
            (
                0,
                2,
                eth_udp(PHONE, 40_001, RESOLVER, 53, &query(2, &["two.example"])),
            ),
        ],
    );
    let c = read(&ng[..ng.len() - 7]);
    assert_eq!(summary(&c), [(1, "dns-query", "one.example")]);
    assert_eq!((c.packets, c.undecoded), (2, 1));
}

#[test]
fn a_file_of_another_kind_is_named() {
    let e = read_capture(b"PK\x03\x04rest of a zip")
        .unwrap_err()
        .to_string();
    assert!(e.contains("50 4b 03 04") && e.contains("ZIP"), "{e}");
    let e = read_capture(b"hello world").unwrap_err().to_string();
    assert!(e.contains("68 65 6c 6c") && e.contains("(text)"), "{e}");
    let e = read_capture(b"x").unwrap_err().to_string();
    assert!(e.starts_with("not a pcap or pcapng file"), "{e}");
    let e = read_capture(&pcap(147, &[])).unwrap_err().to_string();
    assert!(e.contains("unsupported link type 147"), "{e}");
}

#[test]
fn pcapng_interfaces_keep_their_own_link_type_and_resolution() {
    let dns = query(3, &["ng.example"]);
    let raw_udp = {
        let mut v = Vec::new();
        PacketBuilder::ipv6(
            "fd00::2".parse::<Ipv6Addr>().unwrap().octets(),
            "fd00::1".parse::<Ipv6Addr>().unwrap().octets(),
            64,
        )
        .udp(40_002, 53)
        .write(&mut v, &query(4, &["v6.example"]))
        .unwrap();
        v
    };
    let secs = u64::try_from(T0 / 1_000_000).unwrap();
    let file = pcapng(
        // Ethernet in microseconds (the default); raw IP in nanoseconds;
        // an unsupported link type (USB).
        &[(1, None), (101, Some(9)), (189, None)],
        &[
            (1, secs * 1_000_000_000 + 500_000_000, raw_udp),
            (
                0,
                u64::try_from(T0).unwrap(),
                eth_udp(PHONE, 40_000, RESOLVER, 53, &dns),
            ),
            (2, 1, vec![0; 30]),
            // No such interface.
            (7, 1, vec![0; 30]),
        ],
    );
    let c = read(&file);
    assert_eq!((c.packets, c.undecoded), (4, 2));
    assert_eq!(
        summary(&c),
        [
            (2, "dns-query", "ng.example"),
            (1, "dns-query", "v6.example")
        ],
        "sorted by time, not by packet"
    );
    assert_eq!(
        c.contacts[1].unix_us,
        (T0 / 1_000_000) * 1_000_000 + 500_000
    );
    assert_eq!(
        c.contacts[1].src,
        "[fd00::2]:40002".parse::<SocketAddr>().unwrap()
    );
    // Only unsupported interfaces: an error.
    let usb = pcapng(&[(189, None)], &[(0, 1, vec![0; 30])]);
    assert!(read_capture(&usb).is_err());
    // Base-2 resolution: 2^-10 s.
    let file = pcapng(
        &[(1, Some(0x80 | 0x0a))],
        &[(0, 1024 * 3 + 512, eth_udp(PHONE, 1, RESOLVER, 53, &dns))],
    );
    assert_eq!(read(&file).contacts[0].unix_us, 3_500_000);
}

#[test]
fn linux_cooked_captures_v1_and_v2_and_null() {
    let dns = query(5, &["sll.example"]);
    let sll = {
        let mut v = Vec::new();
        PacketBuilder::linux_sll(LinuxSllPacketType::OUTGOING, 6, [2, 0, 0, 0, 0, 1, 0, 0])
            .ipv4(PHONE, RESOLVER, 64)
            .udp(40_000, 53)
            .write(&mut v, &dns)
            .unwrap();
        v
    };
    let c = read(&pcap(113, &[(T0, sll)]));
    assert_eq!(summary(&c), [(1, "dns-query", "sll.example")]);
    let ip = {
        let mut v = Vec::new();
        PacketBuilder::ipv4(PHONE, RESOLVER, 64)
            .udp(40_000, 53)
            .write(&mut v, &dns)
            .unwrap();
        v
    };
    // SLL2: protocol 0x0800, reserved, ifindex, ARPHRD_ETHER, outgoing, 6,
    // address.
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend(&ip);
    // NULL: AF_INET in the capturing host's (little-endian) order.
    let mut null = 2u32.to_le_bytes().to_vec();
    null.extend(&ip);
    let arp = vec![0u8; 10];
    let c = read(&pcap(276, &[(T0, sll2), (T0 + 1, arp)]));
    assert_eq!(summary(&c), [(1, "dns-query", "sll.example")]);
    assert_eq!((c.packets, c.undecoded), (2, 1));
    let c = read(&pcap(0, &[(T0, null)]));
    assert_eq!(summary(&c), [(1, "dns-query", "sll.example")]);
}

#[test]
fn packets_that_are_not_ip_or_are_cut_count_as_undecoded() {
    let udp = eth_udp(PHONE, 40_000, RESOLVER, 53, &query(1, &["x.example"]));
    let icmp = {
        let mut v = Vec::new();
        PacketBuilder::ethernet2([2; 6], [3; 6])
            .ipv4(PHONE, SERVER, 64)
            .icmpv4_echo_request(1, 1)
            .write(&mut v, &[0; 8])
            .unwrap();
        v
    };
    let c = read(&pcap(
        1,
        &[
            (T0, udp[..udp.len() - 5].to_vec()), // snap length
            (T0 + 1, icmp),                      // IP, not UDP or TCP
            (T0 + 2, vec![0xff; 60]),            // not IP
        ],
    ));
    assert!(c.contacts.is_empty());
    assert_eq!((c.packets, c.undecoded), (3, 2));
}

#[test]
fn the_date_is_civil_utc() {
    assert_eq!(utc(0), "1970-01-01 00:00:00.000000 UTC");
    assert_eq!(utc(951_782_400_000_001), "2000-02-29 00:00:00.000001 UTC");
    assert_eq!(utc(-1), "1969-12-31 23:59:59.999999 UTC");
    assert_eq!(utc(T0), "2024-05-01 17:52:13.123456 UTC");
}

#[test]
fn contacts_serialise_in_kebab_case() {
    let c = read(&pcap(
        1,
        &[(
            T0,
            eth_udp(PHONE, 40_000, RESOLVER, 53, &query(1, &["s.example"])),
        )],
    ));
    let json = serde_json::to_value(&c.contacts[0]).unwrap();
    assert_eq!(json["kind"], "dns-query");
    assert_eq!(json["domain"], "s.example");
    assert_eq!(json["src"], "10.0.2.15:40000");
}
