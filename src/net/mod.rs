//! Network evidence: reads a packet capture (the emulator's `-tcpdump` file,
//! or `tcpdump -i any`) and says which hosts the device contacted, when,
//! and how each contact shows: DNS queries and answers, the server name of
//! TLS ClientHellos (SNI), and the `Host` of plain HTTP requests. Pure: the
//! caller reads the file and passes its bytes; nothing here does I/O.
//!
//! What is read (`docs/network.md`, "Reading a capture"):
//!
//! - legacy pcap in either byte order, with micro- or nanosecond
//!   timestamps, and pcapng with any number of sections and interfaces, each
//!   with its own link type and `if_tsresol` (`file.rs`);
//! - link types Ethernet (1), NULL/loopback (0, 108), raw IP (101, 228,
//!   229) and Linux cooked capture v1 and v2 (113, 276) (`packet.rs`);
//! - DNS over UDP and TCP on port 53 (`dns.rs`); mDNS (5353) and other
//!   ports are not DNS here;
//! - on every TCP flow (any port), the first bytes of each direction,
//!   reassembled in sequence order up to 16 KiB: a TLS ClientHello gives its
//!   SNI, an HTTP/1 request its `Host` (`tcp.rs`).
//!
//! What is not seen: QUIC and HTTP/3 (UDP, encrypted from the first
//! packet), DNS over HTTPS or TLS, a server name hidden by Encrypted Client
//! Hello, and anything inside a VPN tunnel. Times are the capture's
//! timestamps: the host clock, in microseconds since the Unix epoch.
//!
//! A file cut short (the emulator killed while writing) gives the packets
//! before the cut, and the cut counts as one undecoded packet.

mod dns;
mod file;
mod packet;
mod tcp;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

/// What a capture file shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capture {
    /// Every contact, sorted by time, then packet number.
    pub contacts: Vec<Contact>,
    /// Packet records in the file (a record cut short at the end counts).
    pub packets: usize,
    /// Packets that could not be decoded (not IP, truncated by the snap
    /// length, an unsupported link type on one pcapng interface, the record
    /// cut at the end of the file ...).
    pub undecoded: usize,
}

/// How a contact shows in the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContactKind {
    /// A DNS question sent (one per question of the query).
    DnsQuery,
    /// A DNS response (one per question name, with its addresses).
    DnsAnswer,
    /// The server name of a TLS ClientHello.
    TlsSni,
    /// The `Host` of a plain HTTP request.
    HttpHost,
}

impl ContactKind {
    /// The kebab-case name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::DnsQuery => "dns-query",
            ContactKind::DnsAnswer => "dns-answer",
            ContactKind::TlsSni => "tls-sni",
            ContactKind::HttpHost => "http-host",
        }
    }

    /// How a report line names it.
    fn label(self) -> &'static str {
        match self {
            ContactKind::DnsQuery => "DNS query",
            ContactKind::DnsAnswer => "DNS answer",
            ContactKind::TlsSni => "TLS SNI",
            ContactKind::HttpHost => "HTTP Host",
        }
    }
}

/// One contact with a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Capture time, microseconds since the Unix epoch (the pcap timestamp:
    /// the host clock). For TLS and HTTP, the time of the first segment of
    /// the ClientHello or request: when the app contacted the host.
    pub unix_us: i64,
    /// 1-based number of the packet in the file (as Wireshark counts), for
    /// evidence pointers. For TLS and HTTP, the first segment of the
    /// message (Wireshark shows the reassembled message at the last one).
    pub packet: usize,
    pub kind: ContactKind,
    /// Lower-case, no trailing dot.
    pub domain: String,
    /// For DNS answers: the A/AAAA addresses of the name (and of its CNAME
    /// targets), in the answer's order.
    pub addresses: Vec<IpAddr>,
    /// For DNS answers: the CNAME targets, in chain order.
    pub aliases: Vec<String>,
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

impl Contact {
    /// One line for a report:
    /// `2024-05-01 17:52:13.123456 UTC DNS query stats.jpush.cn (10.0.2.15:40000 → 10.0.2.3:53)`;
    /// a DNS answer adds `= 1.2.3.4, 5.6.7.8 via a.cdn.net`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} {} {}",
            utc(self.unix_us),
            self.kind.label(),
            self.domain
        );
        if self.kind == ContactKind::DnsAnswer {
            if self.addresses.is_empty() {
                s.push_str(" = (no address)");
            } else {
                let list: Vec<String> = self.addresses.iter().map(ToString::to_string).collect();
                let _ = write!(s, " = {}", list.join(", "));
            }
            if !self.aliases.is_empty() {
                let _ = write!(s, " via {}", self.aliases.join(", "));
            }
        }
        let _ = write!(s, " ({} → {})", self.src, self.dst);
        s
    }
}

/// Microseconds since the epoch as `YYYY-MM-DD HH:MM:SS.ffffff UTC`.
fn utc(unix_us: i64) -> String {
    let secs = unix_us.div_euclid(1_000_000);
    let micros = unix_us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let day_secs = secs.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{micros:06} UTC",
        day_secs / 3600,
        day_secs % 3600 / 60,
        day_secs % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01, counted in
/// 400-year cycles of 146 097 days that start on 1 March.
fn civil(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468; // 0000-03-01 to 1970-01-01
    let cycle = shifted.div_euclid(146_097);
    let day_of_cycle = shifted.rem_euclid(146_097);
    let year_of_cycle =
        (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36_524 - day_of_cycle / 146_096) / 365;
    let day_of_year =
        day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_cycle + cycle * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Why a capture could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("not a pcap or pcapng file: {reason}")]
    NotACapture { reason: String },
    #[error(
        "unsupported link type {link} in the {format} file; read are Ethernet (1), NULL (0), loopback (108), raw IP (101, 228, 229), Linux SLL (113) and SLL2 (276)"
    )]
    UnsupportedLinkType { link: i32, format: &'static str },
}

/// Reads a whole capture (legacy pcap or pcapng) from its bytes. A 0-byte
/// file, or one cut inside its file header, is an empty capture; a file cut
/// inside a later record gives the records before it. A file that starts
/// with neither magic, or whose only link type is not read, is an error.
pub fn read_capture(bytes: &[u8]) -> Result<Capture, NetError> {
    let mut state = tcp::Decoder::default();
    let mut packets = 0usize;
    let mut undecoded = 0usize;
    let end = file::frames(bytes, &mut |frame| {
        packets += 1;
        let number = packets;
        let decoded = frame.link.map_or(packet::Decoded::Undecoded, |link| {
            packet::decode(link, frame.data)
        });
        match decoded {
            packet::Decoded::Segment(segment) => state.segment(&segment, number, frame.unix_us),
            packet::Decoded::OtherIp => {}
            packet::Decoded::Undecoded => undecoded += 1,
        }
    })?;
    if end.cut {
        packets += 1;
        undecoded += 1;
    }
    let mut contacts = state.finish();
    // Stable: the contacts of one packet keep their order (its questions).
    contacts.sort_by_key(|c| (c.unix_us, c.packet));
    Ok(Capture {
        contacts,
        packets,
        undecoded,
    })
}

/// Lower-case, without the trailing dot.
fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}
