//! The flows: DNS over UDP is read datagram by datagram; on TCP, the first
//! bytes of each direction of each flow (key: source and destination
//! address and port) are put back in sequence-number order, from the SYN's
//! ISN + 1 when the SYN was captured, else from the first data segment seen;
//! retransmitted and overlapping segments give their bytes once, and
//! segments that arrive early wait for the gap to fill.
//!
//! The stream's start decides what it is: port 53 is DNS (messages with a
//! 2-byte length prefix); a TLS handshake record is read until the whole
//! first handshake message is in (a ClientHello with post-quantum key
//! shares spans two segments), and gives its SNI; an HTTP/1 request line
//! is read until the end of its headers, and gives its `Host`. Anything
//! else ends the flow's reading at once, and so does a finished message:
//! one contact per flow and direction.
//!
//! Bounded: 16 KiB and 64 segments per direction, 65 536 directions with
//! bytes waiting, 64 MiB waiting in all, and 1 048 576 directions
//! remembered (past that, finished ones are forgotten). The common case,
//! a whole message in one segment, is read in place without a copy.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use tls_parser::{
    SNIType, TlsExtension, TlsMessage, TlsMessageHandshake, parse_tls_client_hello_extensions,
    parse_tls_message_handshake,
};

use super::dns::{self, Seen};
use super::packet::{Segment, Transport};
use super::{Contact, ContactKind, normalise};

/// Bytes read from the start of each direction.
const MAX_BYTES: usize = 16 * 1024;
/// Segments kept per direction while waiting.
const MAX_SEGMENTS: usize = 64;
/// Directions with bytes waiting.
const MAX_PENDING: usize = 65_536;
/// Bytes waiting, over all directions.
const MAX_BUFFERED: usize = 64 * 1024 * 1024;
/// Directions remembered (waiting, finished, or SYN only).
const MAX_FLOWS: usize = 1 << 20;

type Key = (SocketAddr, SocketAddr);

/// One direction of a TCP flow.
#[derive(Debug)]
enum Flow {
    /// SYN seen, no data yet.
    Syn { isn: u32 },
    /// Bytes waiting for more.
    Pending(Box<Pending>),
    /// Read: nothing more is looked at (until a new SYN).
    Done { isn: Option<u32> },
}

#[derive(Debug)]
struct Pending {
    isn: Option<u32>,
    /// The sequence number of the stream's first byte.
    base: u32,
    /// Segments by offset from `base`, clipped to `MAX_BYTES`.
    pieces: BTreeMap<usize, Piece>,
    buffered: usize,
    /// DNS over TCP: bytes of whole messages already read.
    dns_read: usize,
}

#[derive(Debug)]
struct Piece {
    bytes: Vec<u8>,
    packet: usize,
    unix_us: i64,
}

/// Where a byte of the stream arrived: from `offset` on, the segment of
/// `packet` at `unix_us`.
#[derive(Debug, Clone, Copy)]
struct Span {
    offset: usize,
    packet: usize,
    unix_us: i64,
}

/// What the stream's start shows so far.
#[derive(Debug, PartialEq, Eq)]
enum Reading {
    /// Too short to say.
    More,
    /// Read: the host it names, if any.
    Done(Option<(ContactKind, String)>),
}

/// Reads segments, in file order, into contacts.
#[derive(Debug, Default)]
pub(super) struct Decoder {
    flows: HashMap<Key, Flow>,
    pending: usize,
    buffered: usize,
    contacts: Vec<Contact>,
}

impl Decoder {
    /// Reads one UDP datagram or TCP segment, packet number `packet`.
    pub(super) fn segment(&mut self, seg: &Segment<'_>, packet: usize, unix_us: i64) {
        let seen = Seen {
            unix_us,
            packet,
            src: seg.src,
            dst: seg.dst,
        };
        match seg.transport {
            Transport::Udp => {
                if is_dns(seg.src, seg.dst) {
                    dns::message(seg.payload, seen, &mut self.contacts);
                }
            }
            Transport::Tcp { seq, syn, .. } => self.tcp(seg, seq, syn, seen),
        }
    }

    /// The contacts found.
    pub(super) fn finish(self) -> Vec<Contact> {
        self.contacts
    }

    fn tcp(&mut self, seg: &Segment<'_>, seq: u32, syn: bool, seen: Seen) {
        let key = (seg.src, seg.dst);
        if syn {
            let known = match self.flows.get(&key) {
                Some(Flow::Syn { isn } | Flow::Done { isn: Some(isn) }) => Some(*isn),
                Some(Flow::Pending(p)) => p.isn,
                _ => None,
            };
            if known != Some(seq) {
                // A new connection on this 4-tuple (or the first SYN seen).
                self.forget(&key);
                self.remember(key, Flow::Syn { isn: seq });
            }
        }
        if seg.payload.is_empty() {
            return;
        }
        // The SYN takes one sequence number; data on it (TCP Fast Open)
        // starts after it.
        let data_seq = seq.wrapping_add(u32::from(syn));
        let mut pending = match self.flows.remove(&key) {
            Some(Flow::Done { isn }) => {
                self.flows.insert(key, Flow::Done { isn });
                return;
            }
            Some(Flow::Pending(p)) => p,
            Some(Flow::Syn { isn }) => Box::new(Pending::new(Some(isn), isn.wrapping_add(1))),
            None => Box::new(Pending::new(None, data_seq)),
        };
        let was_pending = !pending.pieces.is_empty();
        let offset = usize::try_from(data_seq.wrapping_sub(pending.base)).unwrap_or(usize::MAX);
        if offset >= MAX_BYTES {
            // Before the start (retransmitted from before the first data
            // segment seen) or past what is read.
            self.put_back(key, pending, was_pending);
            return;
        }
        let take = seg.payload.len().min(MAX_BYTES - offset);
        let bytes = seg.payload.get(..take).unwrap_or(seg.payload);
        let dns = is_dns(seg.src, seg.dst);
        // The common case: a whole message in the flow's first segment,
        // read in place.
        if !dns && pending.pieces.is_empty() && offset == 0 {
            match start(bytes) {
                Reading::Done(found) => {
                    self.found(found, seen);
                    self.finish_flow(key, pending.isn, was_pending, pending.buffered);
                    return;
                }
                Reading::More => {}
            }
        }
        if !self.store(&mut pending, offset, bytes, seen, was_pending) {
            self.finish_flow(key, pending.isn, was_pending, pending.buffered);
            return;
        }
        let (stream, spans) = pending.assemble();
        let done = if dns {
            self.dns_stream(&mut pending, &stream, &spans, seen)
        } else {
            match start(&stream) {
                Reading::Done(found) => {
                    let first = spans.first().copied();
                    let at = Seen {
                        unix_us: first.map_or(seen.unix_us, |s| s.unix_us),
                        packet: first.map_or(seen.packet, |s| s.packet),
                        ..seen
                    };
                    self.found(found, at);
                    true
                }
                Reading::More => stream.len() >= MAX_BYTES,
            }
        };
        if done || pending.pieces.len() >= MAX_SEGMENTS {
            self.finish_flow(key, pending.isn, true, pending.buffered);
        } else {
            if !was_pending {
                self.pending += 1;
            }
            self.remember(key, Flow::Pending(pending));
        }
    }

    /// Keeps a copy of the segment's bytes; false when over budget.
    fn store(
        &mut self,
        pending: &mut Pending,
        offset: usize,
        bytes: &[u8],
        seen: Seen,
        was_pending: bool,
    ) -> bool {
        if let Some(old) = pending.pieces.get(&offset) {
            if old.bytes.len() >= bytes.len() {
                return true; // a retransmission
            }
        }
        if (!was_pending && self.pending >= MAX_PENDING)
            || self.buffered + bytes.len() > MAX_BUFFERED
        {
            return false;
        }
        let old = pending
            .pieces
            .insert(
                offset,
                Piece {
                    bytes: bytes.to_vec(),
                    packet: seen.packet,
                    unix_us: seen.unix_us,
                },
            )
            .map_or(0, |p| p.bytes.len());
        pending.buffered = pending.buffered + bytes.len() - old;
        self.buffered = self.buffered + bytes.len() - old;
        true
    }

    /// Reads the whole DNS messages not read yet; true when the direction
    /// is read to its limit.
    fn dns_stream(
        &mut self,
        pending: &mut Pending,
        stream: &[u8],
        spans: &[Span],
        seen: Seen,
    ) -> bool {
        loop {
            let at = pending.dns_read;
            let Some(len) = stream
                .get(at..at + 2)
                .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            else {
                break;
            };
            let Some(message) = stream.get(at + 2..at + 2 + len) else {
                break;
            };
            let span = spans.iter().rev().find(|s| s.offset <= at).copied();
            let when = Seen {
                unix_us: span.map_or(seen.unix_us, |s| s.unix_us),
                packet: span.map_or(seen.packet, |s| s.packet),
                ..seen
            };
            dns::message(message, when, &mut self.contacts);
            pending.dns_read = at + 2 + len;
        }
        // A message that cannot fit in what is read ends the reading too.
        let next = stream
            .get(pending.dns_read..pending.dns_read + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])));
        pending.dns_read >= MAX_BYTES
            || next.is_some_and(|len| pending.dns_read + 2 + len > MAX_BYTES)
    }

    fn found(&mut self, found: Option<(ContactKind, String)>, seen: Seen) {
        if let Some((kind, domain)) = found {
            self.contacts.push(Contact {
                unix_us: seen.unix_us,
                packet: seen.packet,
                kind,
                domain,
                addresses: Vec::new(),
                aliases: Vec::new(),
                src: seen.src,
                dst: seen.dst,
            });
        }
    }

    fn finish_flow(&mut self, key: Key, isn: Option<u32>, was_pending: bool, buffered: usize) {
        if was_pending {
            self.pending = self.pending.saturating_sub(1);
        }
        self.buffered = self.buffered.saturating_sub(buffered);
        self.remember(key, Flow::Done { isn });
    }

    fn put_back(&mut self, key: Key, pending: Box<Pending>, was_pending: bool) {
        if was_pending {
            self.remember(key, Flow::Pending(pending));
        } else if let Some(isn) = pending.isn {
            self.remember(key, Flow::Syn { isn });
        }
    }

    /// Drops what is known of a direction.
    fn forget(&mut self, key: &Key) {
        if let Some(Flow::Pending(p)) = self.flows.remove(key) {
            self.pending = self.pending.saturating_sub(1);
            self.buffered = self.buffered.saturating_sub(p.buffered);
        }
    }

    fn remember(&mut self, key: Key, flow: Flow) {
        if self.flows.len() >= MAX_FLOWS && !self.flows.contains_key(&key) {
            self.flows.retain(|_, f| matches!(f, Flow::Pending(_)));
        }
        self.flows.insert(key, flow);
    }
}

impl Pending {
    fn new(isn: Option<u32>, base: u32) -> Self {
        Pending {
            isn,
            base,
            pieces: BTreeMap::new(),
            buffered: 0,
            dns_read: 0,
        }
    }

    /// The bytes from the start up to the first gap, and where each run of
    /// them arrived.
    fn assemble(&self) -> (Vec<u8>, Vec<Span>) {
        let mut stream: Vec<u8> = Vec::new();
        let mut spans = Vec::new();
        for (&offset, piece) in &self.pieces {
            let end = stream.len();
            if offset > end {
                break;
            }
            if let Some(new) = piece.bytes.get(end - offset..) {
                if !new.is_empty() {
                    spans.push(Span {
                        offset: end,
                        packet: piece.packet,
                        unix_us: piece.unix_us,
                    });
                    stream.extend_from_slice(new);
                }
            }
        }
        (stream, spans)
    }
}

fn is_dns(src: SocketAddr, dst: SocketAddr) -> bool {
    src.port() == dns::PORT || dst.port() == dns::PORT
}

/// What the start of a (non-DNS) stream shows.
fn start(bytes: &[u8]) -> Reading {
    match bytes.first() {
        None => Reading::More,
        Some(0x16) => tls(bytes),
        Some(_) if may_be_http(bytes) => http(bytes),
        Some(_) => Reading::Done(None),
    }
}

/// TLS records carrying the first handshake message: its SNI when it is a
/// ClientHello.
fn tls(bytes: &[u8]) -> Reading {
    let mut at = 0usize;
    let mut handshake: Vec<u8> = Vec::new();
    loop {
        let Some(header) = bytes.get(at..at + 5) else {
            return more_unless_full(bytes);
        };
        // Content type 22 (handshake), protocol major version 3.
        if header.first() != Some(&0x16) || header.get(1) != Some(&3) {
            return Reading::Done(None);
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if len == 0 {
            return Reading::Done(None);
        }
        let Some(body) = bytes.get(at + 5..at + 5 + len) else {
            return if at + 5 + len > MAX_BYTES {
                Reading::Done(None)
            } else {
                Reading::More
            };
        };
        handshake.extend_from_slice(body);
        at += 5 + len;
        if let Some(head) = handshake.get(..4) {
            // Handshake type 1 is ClientHello; a 3-byte length follows.
            if head[0] != 1 {
                return Reading::Done(None);
            }
            let need =
                4 + (usize::from(head[1]) << 16 | usize::from(head[2]) << 8 | usize::from(head[3]));
            if need > MAX_BYTES {
                return Reading::Done(None);
            }
            if let Some(message) = handshake.get(..need) {
                return Reading::Done(sni(message).map(|host| (ContactKind::TlsSni, host)));
            }
        }
    }
}

fn more_unless_full(bytes: &[u8]) -> Reading {
    if bytes.len() >= MAX_BYTES {
        Reading::Done(None)
    } else {
        Reading::More
    }
}

/// The host name of a whole ClientHello handshake message.
fn sni(message: &[u8]) -> Option<String> {
    let Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ClientHello(hello)))) =
        parse_tls_message_handshake(message)
    else {
        return None;
    };
    let (_, extensions) = parse_tls_client_hello_extensions(hello.ext?).ok()?;
    extensions.iter().find_map(|e| match e {
        TlsExtension::SNI(names) => names
            .iter()
            .find(|(t, _)| *t == SNIType::HostName)
            .and_then(|(_, name)| std::str::from_utf8(name).ok())
            .map(normalise)
            .filter(|n| !n.is_empty()),
        _ => None,
    })
}

/// Request methods whose request is read.
const METHODS: &[&[u8]] = &[
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
];

/// Whether the bytes start with a method and a space, or could as more
/// arrive.
fn may_be_http(bytes: &[u8]) -> bool {
    METHODS
        .iter()
        .any(|m| bytes.starts_with(m) || m.starts_with(bytes))
}

/// An HTTP/1 request: its `Host` without the port (for CONNECT without a
/// Host, the target's host).
fn http(bytes: &[u8]) -> Reading {
    if !METHODS.iter().any(|m| bytes.starts_with(m)) {
        return Reading::More; // a method's prefix so far
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {
            let host = request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("host"))
                .and_then(|h| std::str::from_utf8(h.value).ok())
                .or_else(|| request.method.filter(|m| *m == "CONNECT").and(request.path))
                .and_then(host_without_port);
            Reading::Done(host.map(|h| (ContactKind::HttpHost, h)))
        }
        Ok(httparse::Status::Partial) => more_unless_full(bytes),
        Err(_) => Reading::Done(None),
    }
}

/// `example.org:8080` → `example.org`; `[2001:db8::1]:80` → `2001:db8::1`.
fn host_without_port(value: &str) -> Option<String> {
    let v = value.trim();
    let host = if let Some(rest) = v.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(h, _)| h)
    } else {
        match v.rsplit_once(':') {
            Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => v,
        }
    };
    let host = normalise(host);
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_loses_its_port_only() {
        assert_eq!(
            host_without_port("Example.org:8080").as_deref(),
            Some("example.org")
        );
        assert_eq!(
            host_without_port("example.org.").as_deref(),
            Some("example.org")
        );
        assert_eq!(
            host_without_port("[2001:db8::1]:80").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            host_without_port("2001:db8::1").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(host_without_port(" "), None);
    }

    #[test]
    fn the_start_of_a_stream_is_told_apart() {
        assert_eq!(start(b""), Reading::More);
        assert_eq!(start(b"GE"), Reading::More);
        assert_eq!(start(b"GET / HTTP/1.1\r\nHo"), Reading::More);
        assert_eq!(start(b"SSH-2.0-OpenSSH\r\n"), Reading::Done(None));
        assert_eq!(start(b"HTTP/1.1 200 OK\r\n\r\n"), Reading::Done(None));
        assert_eq!(
            start(b"GET / HTTP/1.1\r\nHost: a.example:81\r\n\r\n"),
            Reading::Done(Some((ContactKind::HttpHost, "a.example".into())))
        );
        assert_eq!(start(&[0x16, 3]), Reading::More);
        // A ServerHello (handshake type 2) is not read.
        assert_eq!(start(&[0x16, 3, 3, 0, 4, 2, 0, 0, 0]), Reading::Done(None));
        // Application data is not a handshake.
        assert_eq!(start(&[0x17, 3, 3, 0, 1, 0]), Reading::Done(None));
    }
}
