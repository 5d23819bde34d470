//! DNS messages (port 53, over UDP or TCP) through `simple-dns`: each
//! question of a query is a [`ContactKind::DnsQuery`]; a response gives one
//! [`ContactKind::DnsAnswer`] per question name, with the CNAME chain from
//! that name and the A/AAAA addresses of the names on it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use simple_dns::rdata::RData;
use simple_dns::{Packet, PacketFlag};

use super::{Contact, ContactKind, normalise};

/// The DNS port; mDNS (5353) and LLMNR (5355) are not DNS here.
pub(super) const PORT: u16 = 53;

/// Where and when a message was seen.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seen {
    pub(super) unix_us: i64,
    pub(super) packet: usize,
    pub(super) src: SocketAddr,
    pub(super) dst: SocketAddr,
}

impl Seen {
    fn contact(&self, kind: ContactKind, domain: String) -> Contact {
        Contact {
            unix_us: self.unix_us,
            packet: self.packet,
            kind,
            domain,
            addresses: Vec::new(),
            aliases: Vec::new(),
            src: self.src,
            dst: self.dst,
        }
    }
}

/// Longest CNAME chain followed.
const MAX_CHAIN: usize = 16;

/// The contacts of one DNS message; nothing when it does not parse.
pub(super) fn message(bytes: &[u8], seen: Seen, out: &mut Vec<Contact>) {
    let Ok(packet) = Packet::parse(bytes) else {
        return;
    };
    if !packet.has_flags(PacketFlag::RESPONSE) {
        out.extend(
            packet
                .questions
                .iter()
                .map(|q| seen.contact(ContactKind::DnsQuery, normalise(&q.qname.to_string()))),
        );
        return;
    }
    let records: Vec<(String, &RData<'_>)> = packet
        .answers
        .iter()
        .map(|r| (normalise(&r.name.to_string()), &r.rdata))
        .collect();
    let mut named: Vec<String> = Vec::new();
    for q in &packet.questions {
        let domain = normalise(&q.qname.to_string());
        // One answer per name, even when asked twice (A and AAAA).
        if named.contains(&domain) {
            continue;
        }
        named.push(domain.clone());
        let mut c = seen.contact(ContactKind::DnsAnswer, domain.clone());
        let mut chain = vec![domain];
        let mut i = 0;
        while let Some(name) = chain.get(i).cloned() {
            for (owner, rdata) in &records {
                if *owner != name {
                    continue;
                }
                match rdata {
                    RData::A(a) => {
                        push_new(&mut c.addresses, IpAddr::V4(Ipv4Addr::from(a.address)));
                    }
                    RData::AAAA(a) => {
                        push_new(&mut c.addresses, IpAddr::V6(Ipv6Addr::from(a.address)));
                    }
                    RData::CNAME(target) => {
                        let target = normalise(&target.0.to_string());
                        if !chain.contains(&target) && chain.len() < MAX_CHAIN {
                            c.aliases.push(target.clone());
                            chain.push(target);
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        out.push(c);
    }
}

fn push_new(list: &mut Vec<IpAddr>, ip: IpAddr) {
    if !list.contains(&ip) {
        list.push(ip);
    }
}
