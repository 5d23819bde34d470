//! The simulated device's network capture: what the Android emulator's
//! `-tcpdump FILE` and console `network capture start FILE` write, for the
//! traffic the fixture apps cause (`contact` effects). This file owns the
//! pcap file (global header, one record per packet, written and flushed as
//! each packet happens, stamped with the host's wall clock as the
//! emulator's capture is) and the packets themselves, as the emulator's
//! slirp user-mode network shows them: Ethernet frames between the guest
//! (10.0.2.15, `52:54:00:12:34:56`) and slirp (`52:55:0a:00:02:02`), the
//! DNS server 10.0.2.3, and remote hosts at addresses derived from their
//! names (203.0.113.0/24, TEST-NET-3).
//!
//! Sources: the emulator's `network capture start` help ("It uses the
//! libpcap file format", console.cpp); slirp's fixed addresses and MACs
//! (`slirp.c`: `special_ethaddr` 52:55:0a:00:02:xx, the guest's MAC is
//! QEMU's default 52:54:00:12:34:56); slirp's TCP: initial send sequence
//! 1 and `TCP_ISSINCR / 2` (64000) more per connection (`tcp_subr.c`),
//! MSS 1460 on a 1500-byte link. A TLS 1.3 ClientHello as Chrome sends it
//! (RFC 8446 section 4.1.2, `server_name` RFC 6066, the X25519MLKEM768
//! key share of 1216 bytes), so that it spans two TCP segments.

use std::fs::File;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use etherparse::{PacketBuilder, TcpOptionElement};
use pcap_parser::{LegacyPcapBlock, Linktype, PcapHeader, ToVec};
use simple_dns::rdata::{A, RData};
use simple_dns::{CLASS, Name, Packet, PacketFlag, QCLASS, QTYPE, Question, ResourceRecord, TYPE};

use super::model::{Contact, Via};

/// The guest's address on slirp's network.
pub const GUEST_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
/// Slirp's DNS server.
pub const DNS_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 3);
/// Slirp's gateway (the host).
pub const GATEWAY_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
/// The guest's MAC (QEMU's default NIC address).
pub const GUEST_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
/// Slirp's MAC: every address slirp answers for.
pub const SLIRP_MAC: [u8; 6] = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
/// The TCP payload per segment on a 1500-byte Ethernet link.
pub const MSS: usize = 1460;
const SNAPLEN: u32 = 65_535;
/// The size of the ClientHello record, padding included.
const HELLO_RECORD: usize = 1720;
const TTL: u8 = 64;
/// `TCP_ISSINCR / 2` (slirp's `tcp_subr.c`).
const SLIRP_ISS_STEP: u32 = 64_000;

/// A capture that cannot be started or written.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot create capture file {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write capture file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot build a packet for {host}: {message}")]
    Packet { host: String, message: String },
}

/// A running capture: the open file and the counters that make packets
/// of successive connections differ.
#[derive(Debug)]
pub struct Capture {
    path: PathBuf,
    file: File,
    /// The guest's next ephemeral port (Linux starts at 32768).
    next_port: u16,
    dns_id: u16,
    /// Slirp's next initial sequence number.
    slirp_iss: u32,
}

/// FNV-1a of a name: the stable seed of everything derived from it.
fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// `n` pseudo-random bytes from a seed (splitmix64).
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut z = seed;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut x = z;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(x ^ (x >> 31)).to_be_bytes());
    }
    out.truncate(n);
    out
}

/// The address the simulated DNS answers for `host`: 203.0.113.1 to
/// 203.0.113.254, the same for the same name.
pub fn address_of(host: &str) -> Ipv4Addr {
    #[allow(clippy::cast_possible_truncation)]
    let last = (hash(&host.to_ascii_lowercase()) % 254) as u8 + 1;
    Ipv4Addr::new(203, 0, 113, last)
}

/// Appends a big-endian length of `width` bytes, then `body`.
fn with_len(out: &mut Vec<u8>, width: usize, body: &[u8]) {
    let len = body.len().to_be_bytes();
    out.extend_from_slice(&len[len.len() - width..]);
    out.extend_from_slice(body);
}

/// One extension: type, 2-byte length, data.
fn extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    with_len(out, 2, data);
}

/// A TLS record holding a ClientHello for `host` (SNI), as a current
/// browser engine sends it: TLS 1.3 and 1.2 offered, the hybrid
/// post-quantum key share X25519MLKEM768 (group 0x11ec, 1216 bytes) and an
/// X25519 one, so the record is over 1600 bytes and takes two TCP
/// segments. `seed` fills the random, the session id and the key shares.
pub fn client_hello(host: &str, seed: u64) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&[0x03, 0x03]); // legacy_version TLS 1.2
    body.extend_from_slice(&bytes(seed, 32)); // random
    with_len(&mut body, 1, &bytes(seed ^ 1, 32)); // legacy_session_id
    let suites: [u16; 15] = [
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
        0x009c, 0x009d, 0x002f, 0x0035,
    ];
    let suites: Vec<u8> = suites.iter().flat_map(|s| s.to_be_bytes()).collect();
    with_len(&mut body, 2, &suites);
    with_len(&mut body, 1, &[0]); // compression: null
    let mut ext = Vec::new();
    // server_name: a list of one host_name (type 0)
    let mut name = vec![0];
    with_len(&mut name, 2, host.as_bytes());
    let mut list = Vec::new();
    with_len(&mut list, 2, &name);
    extension(&mut ext, 0x0000, &list);
    extension(&mut ext, 0x0017, &[]); // extended_master_secret
    extension(&mut ext, 0xff01, &[0]); // renegotiation_info
    let groups: Vec<u8> = [0x11ecu16, 0x001d, 0x0017, 0x0018]
        .iter()
        .flat_map(|g| g.to_be_bytes())
        .collect();
    let mut g = Vec::new();
    with_len(&mut g, 2, &groups);
    extension(&mut ext, 0x000a, &g); // supported_groups
    extension(&mut ext, 0x000b, &[1, 0]); // ec_point_formats: uncompressed
    extension(&mut ext, 0x0023, &[]); // session_ticket
    let mut alpn = Vec::new();
    for p in ["h2", "http/1.1"] {
        with_len(&mut alpn, 1, p.as_bytes());
    }
    let mut a = Vec::new();
    with_len(&mut a, 2, &alpn);
    extension(&mut ext, 0x0010, &a); // application_layer_protocol_negotiation
    extension(&mut ext, 0x0005, &[1, 0, 0, 0, 0]); // status_request: OCSP
    let sigs: Vec<u8> = [
        0x0403u16, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
    ]
    .iter()
    .flat_map(|s| s.to_be_bytes())
    .collect();
    let mut s = Vec::new();
    with_len(&mut s, 2, &sigs);
    extension(&mut ext, 0x000d, &s); // signature_algorithms
    let mut shares = Vec::new();
    shares.extend_from_slice(&0x11ecu16.to_be_bytes());
    with_len(&mut shares, 2, &bytes(seed ^ 2, 1216));
    shares.extend_from_slice(&0x001du16.to_be_bytes());
    with_len(&mut shares, 2, &bytes(seed ^ 3, 32));
    let mut ks = Vec::new();
    with_len(&mut ks, 2, &shares);
    extension(&mut ext, 0x0033, &ks); // key_share
    extension(&mut ext, 0x002d, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
    extension(&mut ext, 0x002b, &[4, 0x03, 0x04, 0x03, 0x03]); // supported_versions
    // padding (RFC 7685) up to a record of HELLO_RECORD bytes: the size of
    // the hello a browser engine sends with its GREASE and ECH extensions
    let so_far = 5 + 4 + body.len() + 2 + ext.len() + 4;
    extension(
        &mut ext,
        0x0015,
        &vec![0; HELLO_RECORD.saturating_sub(so_far)],
    );
    with_len(&mut body, 2, &ext);
    let mut handshake = vec![0x01]; // client_hello
    with_len(&mut handshake, 3, &body);
    let mut record = vec![0x16, 0x03, 0x01]; // handshake, legacy record version
    with_len(&mut record, 2, &handshake);
    record
}

/// Which side sends a TCP segment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum From {
    Guest,
    Remote,
}

/// One TCP connection's addresses and sequence numbers.
struct Conn {
    remote: Ipv4Addr,
    guest_port: u16,
    port: u16,
    /// Next sequence number of the guest and of the remote side.
    guest_seq: u32,
    remote_seq: u32,
}

impl Capture {
    /// Creates (or truncates) `path` and writes the pcap global header:
    /// magic a1b2c3d4, version 2.4, snaplen 65535, link type 1 (Ethernet).
    pub fn start(path: &Path) -> Result<Self, CaptureError> {
        let file = File::create(path).map_err(|source| CaptureError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        let mut c = Self {
            path: path.to_path_buf(),
            file,
            next_port: 32_768,
            dns_id: 0x1a2b,
            slirp_iss: 1,
        };
        let header = PcapHeader {
            snaplen: SNAPLEN,
            network: Linktype::ETHERNET,
            ..PcapHeader::new()
        };
        let bytes = header.to_vec_raw().map_err(|e| CaptureError::Packet {
            host: String::new(),
            message: format!("pcap header: {e:?}"),
        })?;
        c.write_raw(&bytes)?;
        Ok(c)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_raw(&mut self, data: &[u8]) -> Result<(), CaptureError> {
        self.file
            .write_all(data)
            .and_then(|()| self.file.flush())
            .map_err(|source| CaptureError::Write {
                path: self.path.clone(),
                source,
            })
    }

    /// Writes one frame as a pcap record stamped with the host's clock.
    fn record(&mut self, frame: &[u8]) -> Result<(), CaptureError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        let block = LegacyPcapBlock {
            ts_sec: u32::try_from(now.as_secs()).unwrap_or(u32::MAX),
            ts_usec: now.subsec_micros(),
            caplen: len.min(SNAPLEN),
            origlen: len,
            data: &frame[..frame.len().min(SNAPLEN as usize)],
        };
        let bytes = block.to_vec_raw().map_err(|e| CaptureError::Packet {
            host: String::new(),
            message: format!("pcap record: {e:?}"),
        })?;
        self.write_raw(&bytes)
    }

    fn port(&mut self) -> u16 {
        let p = self.next_port;
        self.next_port = if p >= 60_999 { 32_768 } else { p + 1 };
        p
    }

    /// Writes the packets of one `contact`: the DNS lookup, then the
    /// connection `via` asks for.
    pub fn contact(&mut self, contact: &Contact) -> Result<(), CaptureError> {
        let host = contact.host.as_str();
        let addr = self.lookup(host)?;
        let (port, payload) = match contact.via {
            Via::Dns => return Ok(()),
            Via::Tls => (443, client_hello(host, hash(host) ^ u64::from(self.dns_id))),
            Via::Http => (
                80,
                format!(
                    "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Dalvik/2.1.0 (Linux; U; Android 14; sdk_gphone64_x86_64 Build/UE1A.230829.036)\r\nConnection: Keep-Alive\r\nAccept-Encoding: gzip\r\n\r\n"
                )
                .into_bytes(),
            ),
        };
        let guest_port = self.port();
        #[allow(clippy::cast_possible_truncation)]
        let guest_iss = (hash(host) as u32) ^ u32::from(guest_port).rotate_left(16);
        let mut conn = Conn {
            remote: addr,
            guest_port,
            port,
            guest_seq: guest_iss,
            remote_seq: self.slirp_iss,
        };
        self.slirp_iss = self.slirp_iss.wrapping_add(SLIRP_ISS_STEP);
        let err = |message: String| CaptureError::Packet {
            host: host.to_string(),
            message,
        };
        // the three-way handshake
        let syn = tcp(&conn, From::Guest, Flags::Syn, &[]).map_err(err)?;
        self.record(&syn)?;
        conn.guest_seq = conn.guest_seq.wrapping_add(1);
        let syn_ack = tcp(&conn, From::Remote, Flags::SynAck, &[]).map_err(err)?;
        self.record(&syn_ack)?;
        conn.remote_seq = conn.remote_seq.wrapping_add(1);
        let ack = tcp(&conn, From::Guest, Flags::Ack, &[]).map_err(err)?;
        self.record(&ack)?;
        // the request, in segments of at most one MSS, the last pushed
        let chunks: Vec<&[u8]> = payload.chunks(MSS).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let flags = if i + 1 == chunks.len() {
                Flags::PshAck
            } else {
                Flags::Ack
            };
            let seg = tcp(&conn, From::Guest, flags, chunk).map_err(err)?;
            self.record(&seg)?;
            #[allow(clippy::cast_possible_truncation)]
            let n = chunk.len() as u32;
            conn.guest_seq = conn.guest_seq.wrapping_add(n);
        }
        // slirp acknowledges what it took
        let acked = tcp(&conn, From::Remote, Flags::Ack, &[]).map_err(err)?;
        self.record(&acked)
    }

    /// A DNS A query from the guest to 10.0.2.3 and its answer.
    fn lookup(&mut self, host: &str) -> Result<Ipv4Addr, CaptureError> {
        let err = |message: String| CaptureError::Packet {
            host: host.to_string(),
            message,
        };
        let id = self.dns_id;
        self.dns_id = self.dns_id.wrapping_add(0x0101);
        let addr = address_of(host);
        let name = Name::new(host).map_err(|e| err(e.to_string()))?;
        let question = Question::new(
            name.clone(),
            QTYPE::TYPE(TYPE::A),
            QCLASS::CLASS(CLASS::IN),
            false,
        );
        let mut query = Packet::new_query(id);
        query.set_flags(PacketFlag::RECURSION_DESIRED);
        query.questions.push(question.clone());
        let query = query.build_bytes_vec().map_err(|e| err(e.to_string()))?;
        let mut reply = Packet::new_reply(id);
        reply.set_flags(PacketFlag::RECURSION_DESIRED | PacketFlag::RECURSION_AVAILABLE);
        reply.questions.push(question);
        reply.answers.push(ResourceRecord::new(
            name,
            CLASS::IN,
            300,
            RData::A(A {
                address: u32::from(addr),
            }),
        ));
        let reply = reply
            .build_bytes_vec_compressed()
            .map_err(|e| err(e.to_string()))?;
        let sport = self.port();
        let q = udp(GUEST_IP, sport, DNS_IP, 53, &query).map_err(err)?;
        self.record(&q)?;
        let r = udp(DNS_IP, 53, GUEST_IP, sport, &reply).map_err(err)?;
        self.record(&r)?;
        Ok(addr)
    }
}

/// The Ethernet addresses of a frame from `src`: the guest sends to
/// slirp's MAC, everything slirp sends comes from it.
fn macs(src: Ipv4Addr) -> ([u8; 6], [u8; 6]) {
    if src == GUEST_IP {
        (GUEST_MAC, SLIRP_MAC)
    } else {
        (SLIRP_MAC, GUEST_MAC)
    }
}

fn udp(
    src: Ipv4Addr,
    sport: u16,
    dst: Ipv4Addr,
    dport: u16,
    payload: &[u8],
) -> Result<Vec<u8>, String> {
    let (smac, dmac) = macs(src);
    let b = PacketBuilder::ethernet2(smac, dmac)
        .ipv4(src.octets(), dst.octets(), TTL)
        .udp(sport, dport);
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).map_err(|e| e.to_string())?;
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flags {
    Syn,
    SynAck,
    Ack,
    PshAck,
}

/// One TCP segment of `conn` from `from`, with the sender's next sequence
/// number and (but for the first SYN) the other side's as the ACK.
fn tcp(conn: &Conn, from: From, flags: Flags, payload: &[u8]) -> Result<Vec<u8>, String> {
    let (src, sport, dst, dport, seq, ack) = match from {
        From::Guest => (
            GUEST_IP,
            conn.guest_port,
            conn.remote,
            conn.port,
            conn.guest_seq,
            conn.remote_seq,
        ),
        From::Remote => (
            conn.remote,
            conn.port,
            GUEST_IP,
            conn.guest_port,
            conn.remote_seq,
            conn.guest_seq,
        ),
    };
    let (smac, dmac) = macs(src);
    #[allow(clippy::cast_possible_truncation)]
    let mss = MSS as u16;
    let b = PacketBuilder::ethernet2(smac, dmac)
        .ipv4(src.octets(), dst.octets(), TTL)
        .tcp(sport, dport, seq, 65_535);
    let b = match flags {
        // Linux's SYN: MSS, SACK permitted, window scale
        Flags::Syn => b
            .syn()
            .options(&[
                TcpOptionElement::MaximumSegmentSize(mss),
                TcpOptionElement::SelectiveAcknowledgementPermitted,
                TcpOptionElement::Noop,
                TcpOptionElement::WindowScale(7),
            ])
            .map_err(|e| e.to_string())?,
        // slirp's SYN-ACK carries only its MSS
        Flags::SynAck => b
            .syn()
            .ack(ack)
            .options(&[TcpOptionElement::MaximumSegmentSize(mss)])
            .map_err(|e| e.to_string())?,
        Flags::Ack => b.ack(ack),
        Flags::PshAck => b.psh().ack(ack),
    };
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    use pcap_parser::traits::PcapReaderIterator;
    use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError};

    use super::*;

    /// Every frame of a pcap file.
    fn frames(path: &Path) -> Vec<Vec<u8>> {
        let file = File::open(path).expect("open");
        let mut reader = LegacyPcapReader::new(65_536, file).expect("pcap");
        let mut out = Vec::new();
        loop {
            match reader.next() {
                Ok((offset, block)) => {
                    if let PcapBlockOwned::Legacy(b) = block {
                        out.push(b.data.to_vec());
                    }
                    reader.consume(offset);
                }
                Err(PcapError::Eof) => break,
                Err(PcapError::Incomplete(_)) => reader.refill().expect("refill"),
                Err(e) => panic!("{e:?}"),
            }
        }
        out
    }

    #[test]
    fn the_client_hello_names_the_host_and_spans_two_segments() {
        let record = client_hello("stats.jpush.cn", 7);
        assert_eq!(record.len(), HELLO_RECORD);
        assert!(record.len() <= 2 * MSS);
        let (rest, parsed) = tls_parser::parse_tls_plaintext(&record).expect("a TLS record");
        assert!(rest.is_empty());
        let tls_parser::TlsMessage::Handshake(tls_parser::TlsMessageHandshake::ClientHello(ch)) =
            &parsed.msg[0]
        else {
            panic!("{:?}", parsed.msg);
        };
        let (_, exts) = tls_parser::parse_tls_client_hello_extensions(ch.ext.expect("extensions"))
            .expect("extensions parse");
        let sni: Vec<&[u8]> = exts
            .iter()
            .filter_map(|e| match e {
                tls_parser::TlsExtension::SNI(names) => Some(names[0].1),
                _ => None,
            })
            .collect();
        assert_eq!(sni, [b"stats.jpush.cn".as_slice()]);
    }

    #[test]
    fn a_tls_contact_is_a_lookup_a_handshake_and_a_hello() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cap.pcap");
        let mut c = Capture::start(&path).expect("starts");
        let head = std::fs::read(&path).expect("read");
        assert_eq!(
            head,
            [
                0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0,
                0, 0
            ]
        );
        c.contact(&Contact {
            host: "stats.jpush.cn".into(),
            via: Via::Tls,
        })
        .expect("writes");
        let fs = frames(&path);
        // query, answer, SYN, SYN-ACK, ACK, two data segments, ACK
        assert_eq!(fs.len(), 8);
        let addr = address_of("stats.jpush.cn");
        let mut data = Vec::new();
        for (i, f) in fs.iter().enumerate() {
            let p = SlicedPacket::from_ethernet(f).expect("parses");
            let Some(NetSlice::Ipv4(ip)) = &p.net else {
                panic!("not IPv4");
            };
            let (src, dst) = (ip.header().source_addr(), ip.header().destination_addr());
            let guest_sent = src == GUEST_IP;
            let (smac, dmac) = macs(src);
            assert_eq!((&f[6..12], &f[..6]), (&smac[..], &dmac[..]), "frame {i}");
            match (i, &p.transport) {
                (0 | 1, Some(TransportSlice::Udp(u))) => {
                    let dns = Packet::parse(u.payload()).expect("dns");
                    assert_eq!(dns.questions[0].qname.to_string(), "stats.jpush.cn");
                    if i == 0 {
                        assert_eq!((dst, u.destination_port()), (DNS_IP, 53));
                    } else {
                        assert_eq!(src, DNS_IP);
                        let RData::A(a) = &dns.answers[0].rdata else {
                            panic!("{:?}", dns.answers);
                        };
                        assert_eq!(Ipv4Addr::from(a.address), addr);
                    }
                }
                (_, Some(TransportSlice::Tcp(t))) => {
                    assert_eq!(if guest_sent { dst } else { src }, addr);
                    let port = if guest_sent {
                        t.destination_port()
                    } else {
                        t.source_port()
                    };
                    assert_eq!(port, 443);
                    match i {
                        2 => assert!(t.syn() && !t.ack() && guest_sent),
                        3 => assert!(t.syn() && t.ack() && !guest_sent),
                        4 => assert!(!t.syn() && t.ack() && guest_sent),
                        5 | 6 => {
                            assert!(guest_sent);
                            assert!(t.payload().len() <= MSS);
                            data.extend_from_slice(t.payload());
                        }
                        _ => assert!(t.ack() && !guest_sent && t.payload().is_empty()),
                    }
                }
                other => panic!("frame {i}: {other:?}"),
            }
        }
        assert_eq!(data[0], 0x16);
        assert!(
            data.windows(14).any(|w| w == b"stats.jpush.cn"),
            "the SNI is in the hello"
        );
    }

    #[test]
    fn http_and_dns_contacts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cap.pcap");
        let mut c = Capture::start(&path).expect("starts");
        c.contact(&Contact {
            host: "ulogs.umeng.com".into(),
            via: Via::Dns,
        })
        .expect("writes");
        assert_eq!(frames(&path).len(), 2);
        c.contact(&Contact {
            host: "ulogs.umeng.com".into(),
            via: Via::Http,
        })
        .expect("writes");
        let fs = frames(&path);
        assert_eq!(fs.len(), 2 + 2 + 3 + 1 + 1);
        let p = SlicedPacket::from_ethernet(&fs[7]).expect("parses");
        let Some(TransportSlice::Tcp(t)) = &p.transport else {
            panic!("tcp");
        };
        assert_eq!(t.destination_port(), 80);
        assert!(
            t.payload()
                .starts_with(b"GET / HTTP/1.1\r\nHost: ulogs.umeng.com\r\n")
        );
    }
}
