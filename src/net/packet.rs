//! One packet's link, IP and transport layers, through `etherparse`: the
//! link types read, and the UDP datagram or TCP segment inside (addresses,
//! ports, sequence number, flags, payload). Anything else (ARP, ICMP, an IP
//! fragment, a packet cut by the snap length) is not a segment.

use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};

/// Link types (`LINKTYPE_*`) read.
const NULL: i32 = 0;
const ETHERNET: i32 = 1;
const RAW: i32 = 101;
const LOOP: i32 = 108;
const LINUX_SLL: i32 = 113;
const IPV4: i32 = 228;
const IPV6: i32 = 229;
const LINUX_SLL2: i32 = 276;

/// Whether packets of this link type are decoded.
pub(super) fn supported(link: i32) -> bool {
    matches!(
        link,
        NULL | ETHERNET | RAW | LOOP | LINUX_SLL | IPV4 | IPV6 | LINUX_SLL2
    )
}

/// A UDP datagram or TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Segment<'a> {
    pub(super) src: SocketAddr,
    pub(super) dst: SocketAddr,
    pub(super) transport: Transport,
    pub(super) payload: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transport {
    Udp,
    Tcp {
        seq: u32,
        syn: bool,
        fin: bool,
        rst: bool,
    },
}

/// What a packet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decoded<'a> {
    Segment(Segment<'a>),
    /// IP without UDP or TCP (ICMP, IGMP, ...).
    OtherIp,
    /// Not IP (ARP, another ether type), cut by the snap length, malformed,
    /// or an IP fragment (its transport header is in another packet).
    Undecoded,
}

/// What a packet of link type `link` holds.
pub(super) fn decode(link: i32, data: &[u8]) -> Decoded<'_> {
    let Some(sliced) = slice(link, data) else {
        return Decoded::Undecoded;
    };
    let (src_ip, dst_ip): (IpAddr, IpAddr) = match sliced.net.as_ref() {
        Some(NetSlice::Ipv4(v4)) => {
            if v4.is_payload_fragmented() {
                return Decoded::Undecoded;
            }
            (
                v4.header().source_addr().into(),
                v4.header().destination_addr().into(),
            )
        }
        Some(NetSlice::Ipv6(v6)) => {
            if v6.is_payload_fragmented() {
                return Decoded::Undecoded;
            }
            (
                v6.header().source_addr().into(),
                v6.header().destination_addr().into(),
            )
        }
        Some(NetSlice::Arp(_)) | None => return Decoded::Undecoded,
    };
    match sliced.transport.as_ref() {
        Some(TransportSlice::Udp(udp)) => Decoded::Segment(Segment {
            src: SocketAddr::new(src_ip, udp.source_port()),
            dst: SocketAddr::new(dst_ip, udp.destination_port()),
            transport: Transport::Udp,
            payload: udp.payload(),
        }),
        Some(TransportSlice::Tcp(tcp)) => Decoded::Segment(Segment {
            src: SocketAddr::new(src_ip, tcp.source_port()),
            dst: SocketAddr::new(dst_ip, tcp.destination_port()),
            transport: Transport::Tcp {
                seq: tcp.sequence_number(),
                syn: tcp.syn(),
                fin: tcp.fin(),
                rst: tcp.rst(),
            },
            payload: tcp.payload(),
        }),
        _ => Decoded::OtherIp,
    }
}

/// The layers of a packet, from its link header down.
fn slice(link: i32, data: &[u8]) -> Option<SlicedPacket<'_>> {
    match link {
        ETHERNET => SlicedPacket::from_ethernet(data),
        RAW | IPV4 | IPV6 => SlicedPacket::from_ip(data),
        LINUX_SLL => SlicedPacket::from_linux_sll(data),
        // SLL2: protocol (2), reserved (2), interface index (4), ARPHRD
        // type (2), packet type (1), address length (1), address (8).
        LINUX_SLL2 => {
            let proto = u16::from_be_bytes([*data.first()?, *data.get(1)?]);
            SlicedPacket::from_ether_type(EtherType(proto), data.get(20..)?)
        }
        // The address family in the byte order of the capturing host
        // (NULL) or in network order (LOOP); 2 is IPv4, 24, 28 and 30 are
        // IPv6 on the BSDs and macOS. The IP header's version decides.
        NULL | LOOP => SlicedPacket::from_ip(data.get(4..)?),
        _ => return None,
    }
    .ok()
}
