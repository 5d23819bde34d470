//! The capture file's records: legacy pcap (either byte order, micro- or
//! nanosecond timestamps, and the "modified" Kuznetzov variant) and pcapng
//! (sections in either byte order, interfaces with their own link type,
//! `if_tsresol` and `if_tsoffset`), through `pcap-parser`'s slice parsers,
//! so that the packet data is borrowed from the caller's bytes, never
//! copied. Each record is handed on with its time in microseconds since
//! the epoch and its interface's link type.

use pcap_parser::pcap::{
    PcapHeader, parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
};
use pcap_parser::pcapng::{
    Block, InterfaceDescriptionBlock, parse_block_be, parse_block_le, parse_sectionheaderblock,
};

use super::NetError;
use super::packet::supported;

/// One packet record.
#[derive(Debug, Clone, Copy)]
pub(super) struct Frame<'a> {
    pub(super) unix_us: i64,
    /// The link type of its interface; `None` when the interface is not
    /// known or its link type is not read.
    pub(super) link: Option<i32>,
    pub(super) data: &'a [u8],
}

/// How the file ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct End {
    /// The last record was cut short, or the bytes after the last whole
    /// record are not a record.
    pub(super) cut: bool,
}

const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// Legacy magics as the file's first four bytes: little-endian micro,
/// nano, modified; big-endian micro, nano, modified.
const PCAP_MAGICS: [[u8; 4]; 6] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0x34, 0xcd, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0xa1, 0xb2, 0xcd, 0x34],
];

/// Calls `each` on every record of the file, in file order.
pub(super) fn frames<'a>(
    bytes: &'a [u8],
    each: &mut dyn FnMut(Frame<'a>),
) -> Result<End, NetError> {
    let head = bytes.get(..4).unwrap_or(bytes);
    let is_prefix = |magic: &[u8; 4]| magic.starts_with(head);
    if head.len() < 4 {
        if PCAP_MAGICS.iter().chain([&PCAPNG_MAGIC]).any(is_prefix) {
            // Capture started, header not (fully) written: nothing to read.
            return Ok(End::default());
        }
        return Err(not_a_capture(bytes));
    }
    if head == PCAPNG_MAGIC {
        pcapng(bytes, each)
    } else if PCAP_MAGICS.iter().any(|m| m.as_slice() == head) {
        legacy(bytes, each)
    } else {
        Err(not_a_capture(bytes))
    }
}

/// The error for a file of another kind, naming what its start looks like.
fn not_a_capture(bytes: &[u8]) -> NetError {
    let head = bytes.get(..8).unwrap_or(bytes);
    let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
    let guess = if head.starts_with(b"PK\x03\x04") {
        " (a ZIP archive or APK)"
    } else if head.starts_with(b"\x89PNG") {
        " (a PNG image)"
    } else if head.starts_with(b"\x1f\x8b") {
        " (a gzip file: decompress it first)"
    } else if head.starts_with(b"{") || head.starts_with(b"[") {
        " (JSON?)"
    } else if !head.is_empty() && head.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        " (text)"
    } else {
        ""
    };
    let reason = if bytes.is_empty() {
        "the file is empty".to_string()
    } else {
        format!(
            "it starts with {}{guess}; a pcap file starts with d4 c3 b2 a1 or a1 b2 c3 d4 (or the nanosecond 4d 3c b2 a1), a pcapng file with 0a 0d 0d 0a",
            hex.join(" ")
        )
    };
    NetError::NotACapture { reason }
}

/// Microseconds from seconds and a fraction counted in `units` per second,
/// saturating.
fn micros(secs: i128, frac: i128, units: i128) -> i64 {
    let us = secs * 1_000_000 + frac * 1_000_000 / units.max(1);
    i64::try_from(us).unwrap_or(if us < 0 { i64::MIN } else { i64::MAX })
}

fn legacy<'a>(bytes: &'a [u8], each: &mut dyn FnMut(Frame<'a>)) -> Result<End, NetError> {
    let (mut rest, header): (&[u8], PcapHeader) = match parse_pcap_header(bytes) {
        Ok(x) => x,
        // A known magic with the header cut: nothing written yet.
        Err(_) => return Ok(End::default()),
    };
    let link = header.network.0;
    if !supported(link) {
        return Err(NetError::UnsupportedLinkType {
            link,
            format: "pcap",
        });
    }
    let units: i128 = if header.is_nanosecond_precision() {
        1_000_000_000
    } else {
        1_000_000
    };
    let (modified, big) = (header.is_modified_format(), header.is_bigendian());
    while !rest.is_empty() {
        let parsed = if modified {
            parse_pcap_frame_modified(rest)
        } else if big {
            parse_pcap_frame_be(rest)
        } else {
            parse_pcap_frame(rest)
        };
        match parsed {
            Ok((next, block)) => {
                rest = next;
                each(Frame {
                    unix_us: micros(block.ts_sec.into(), block.ts_usec.into(), units),
                    link: Some(link),
                    data: block.data,
                });
            }
            Err(_) => return Ok(End { cut: true }),
        }
    }
    Ok(End::default())
}

/// One pcapng interface as its description block gives it.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link: i32,
    /// Timestamp units per second.
    units: i128,
    /// Seconds added to every timestamp.
    offset: i64,
}

impl Interface {
    fn of(idb: &InterfaceDescriptionBlock<'_>) -> Self {
        // `if_tsresol`: the high bit picks base 2, else base 10; the rest is
        // the negative exponent (default 6: microseconds).
        let exp = u32::from(idb.if_tsresol & 0x7f);
        let units = if idb.if_tsresol & 0x80 == 0 {
            10i128.checked_pow(exp)
        } else {
            2i128.checked_pow(exp)
        };
        Interface {
            link: idb.linktype.0,
            units: units.unwrap_or(1_000_000),
            offset: idb.if_tsoffset,
        }
    }

    fn micros(&self, ticks: u64) -> i64 {
        let ticks = i128::from(ticks);
        micros(
            i128::from(self.offset) + ticks / self.units,
            ticks % self.units,
            self.units,
        )
    }
}

fn pcapng<'a>(bytes: &'a [u8], each: &mut dyn FnMut(Frame<'a>)) -> Result<End, NetError> {
    let mut rest = match parse_sectionheaderblock(bytes) {
        Ok((next, shb)) => (next, shb.big_endian()),
        Err(_) => return Ok(End::default()),
    };
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut unsupported: Option<i32> = None;
    let mut any_supported = false;
    let mut any_packet = false;
    // A simple packet block has no time: it gets the last one seen.
    let mut last_us = 0i64;
    let mut end = End::default();
    while !rest.0.is_empty() {
        let (input, big) = rest;
        let parsed = if big {
            parse_block_be(input)
        } else {
            parse_block_le(input)
        };
        let Ok((next, block)) = parsed else {
            end.cut = true;
            break;
        };
        rest = (next, big);
        match block {
            Block::SectionHeader(shb) => {
                interfaces.clear();
                rest.1 = shb.big_endian();
            }
            Block::InterfaceDescription(idb) => {
                let i = Interface::of(&idb);
                if supported(i.link) {
                    any_supported = true;
                } else {
                    unsupported.get_or_insert(i.link);
                }
                interfaces.push(i);
            }
            Block::EnhancedPacket(epb) => {
                any_packet = true;
                let at = usize::try_from(epb.if_id)
                    .ok()
                    .and_then(|i| interfaces.get(i));
                let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let unix_us = at.map_or(last_us, |i| i.micros(ticks));
                last_us = unix_us;
                each(Frame {
                    unix_us,
                    link: at.map(|i| i.link).filter(|&l| supported(l)),
                    data: clip(epb.data, epb.caplen),
                });
            }
            Block::SimplePacket(spb) => {
                any_packet = true;
                each(Frame {
                    unix_us: last_us,
                    link: interfaces.first().map(|i| i.link).filter(|&l| supported(l)),
                    // Its captured length is the original length, or the
                    // block's, whichever is less.
                    data: clip(spb.data, spb.origlen),
                });
            }
            _ => {}
        }
    }
    match unsupported {
        Some(link) if any_packet && !any_supported => Err(NetError::UnsupportedLinkType {
            link,
            format: "pcapng",
        }),
        _ => Ok(end),
    }
}

/// A block's packet data without its padding.
fn clip(data: &[u8], len: u32) -> &[u8] {
    usize::try_from(len)
        .ok()
        .and_then(|n| data.get(..n))
        .unwrap_or(data)
}
