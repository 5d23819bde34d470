//! The adb transport packet: a 24-byte little-endian header (command,
//! arg0, arg1, payload length, payload checksum, command ^ 0xffffffff)
//! followed by the payload. Pure encoding and decoding, no I/O.
//!
//! The checksum is the byte sum of the payload (not a CRC). Hosts at
//! version [`VERSION_SKIP_CHECKSUM`] or later may send 0; we always send
//! the correct sum, which every host accepts.

/// `CNXN`: connect, with version, max payload and banner.
pub(crate) const CNXN: u32 = u32::from_le_bytes(*b"CNXN");
/// `AUTH`: token, signature or public key.
pub(crate) const AUTH: u32 = u32::from_le_bytes(*b"AUTH");
/// `OPEN`: open a stream to a service.
pub(crate) const OPEN: u32 = u32::from_le_bytes(*b"OPEN");
/// `OKAY`: stream ready, or ready for more data.
pub(crate) const OKAY: u32 = u32::from_le_bytes(*b"OKAY");
/// `CLSE`: close a stream.
pub(crate) const CLSE: u32 = u32::from_le_bytes(*b"CLSE");
/// `WRTE`: data on a stream.
pub(crate) const WRTE: u32 = u32::from_le_bytes(*b"WRTE");

/// Protocol version we speak (checksums optional from here on).
pub(crate) const VERSION: u32 = 0x0100_0001;
pub(crate) const VERSION_SKIP_CHECKSUM: u32 = 0x0100_0001;
/// The largest payload we offer; the connection uses the smaller offer.
pub(crate) const MAX_PAYLOAD: u32 = 1024 * 1024;
/// The header size.
pub(crate) const HEADER_LEN: usize = 24;

/// `AUTH` argument: a token for the host to sign.
pub(crate) const AUTH_TOKEN: u32 = 1;
/// `AUTH` argument: the host's signature of our token.
pub(crate) const AUTH_SIGNATURE: u32 = 2;
/// `AUTH` argument: the host's public key (the user would be asked).
pub(crate) const AUTH_RSAPUBLICKEY: u32 = 3;

/// One decoded packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Packet {
    pub(crate) command: u32,
    pub(crate) arg0: u32,
    pub(crate) arg1: u32,
    pub(crate) payload: Vec<u8>,
}

/// Why a header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PacketError {
    #[error("bad magic for command {0:#010x}")]
    Magic(u32),
    #[error("payload of {len} bytes exceeds the maximum of {max}")]
    TooLong { len: u32, max: u32 },
    #[error("checksum mismatch: header says {expected}, payload sums to {actual}")]
    Checksum { expected: u32, actual: u32 },
}

pub(crate) fn checksum(payload: &[u8]) -> u32 {
    payload
        .iter()
        .fold(0u32, |acc, b| acc.wrapping_add(u32::from(*b)))
}

/// A parsed header, before its payload has been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) command: u32,
    pub(crate) arg0: u32,
    pub(crate) arg1: u32,
    pub(crate) len: u32,
    pub(crate) check: u32,
}

fn word(bytes: &[u8; HEADER_LEN], i: usize) -> u32 {
    u32::from_le_bytes([
        bytes[i * 4],
        bytes[i * 4 + 1],
        bytes[i * 4 + 2],
        bytes[i * 4 + 3],
    ])
}

impl Header {
    pub(crate) fn parse(bytes: &[u8; HEADER_LEN], max_payload: u32) -> Result<Self, PacketError> {
        let h = Header {
            command: word(bytes, 0),
            arg0: word(bytes, 1),
            arg1: word(bytes, 2),
            len: word(bytes, 3),
            check: word(bytes, 4),
        };
        if word(bytes, 5) != h.command ^ 0xffff_ffff {
            return Err(PacketError::Magic(h.command));
        }
        if h.len > max_payload {
            return Err(PacketError::TooLong {
                len: h.len,
                max: max_payload,
            });
        }
        Ok(h)
    }

    /// Checks the payload's sum; a zero sum is accepted from hosts at
    /// [`VERSION_SKIP_CHECKSUM`] or later.
    pub(crate) fn verify(&self, payload: &[u8], host_version: u32) -> Result<(), PacketError> {
        if self.check == 0 && host_version >= VERSION_SKIP_CHECKSUM {
            return Ok(());
        }
        let actual = checksum(payload);
        if actual == self.check {
            Ok(())
        } else {
            Err(PacketError::Checksum {
                expected: self.check,
                actual,
            })
        }
    }
}

impl Packet {
    pub(crate) fn new(command: u32, arg0: u32, arg1: u32, payload: Vec<u8>) -> Self {
        Self {
            command,
            arg0,
            arg1,
            payload,
        }
    }

    /// The packet on the wire.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let len = u32::try_from(self.payload.len()).unwrap_or(u32::MAX);
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len());
        for w in [
            self.command,
            self.arg0,
            self.arg1,
            len,
            checksum(&self.payload),
            self.command ^ 0xffff_ffff,
        ] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&self.payload);
        out
    }
}

/// A command word as text, for logs (`OPEN`, or hex when not ASCII).
pub(crate) fn command_name(command: u32) -> String {
    let b = command.to_le_bytes();
    if b.iter().all(u8::is_ascii_uppercase) {
        String::from_utf8_lossy(&b).into_owned()
    } else {
        format!("{command:#010x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_parse() {
        let p = Packet::new(WRTE, 7, 9, b"hello".to_vec());
        let wire = p.encode();
        assert_eq!(wire.len(), HEADER_LEN + 5);
        let header: [u8; HEADER_LEN] = wire[..HEADER_LEN].try_into().expect("24 bytes");
        let h = Header::parse(&header, MAX_PAYLOAD).expect("valid");
        assert_eq!((h.command, h.arg0, h.arg1, h.len), (WRTE, 7, 9, 5));
        assert_eq!(h.check, u32::from(b'h') + 101 + 108 + 108 + 111);
        h.verify(&wire[HEADER_LEN..], VERSION).expect("sum matches");
        assert_eq!(&wire[..4], b"WRTE");
    }

    #[test]
    fn bad_magic_and_oversize_are_refused() {
        let mut wire = Packet::new(OKAY, 1, 2, Vec::new()).encode();
        wire[20] ^= 1;
        let header: [u8; HEADER_LEN] = wire[..HEADER_LEN].try_into().expect("24 bytes");
        assert!(matches!(
            Header::parse(&header, MAX_PAYLOAD),
            Err(PacketError::Magic(_))
        ));
        let wire = Packet::new(WRTE, 1, 2, vec![0; 10]).encode();
        let header: [u8; HEADER_LEN] = wire[..HEADER_LEN].try_into().expect("24 bytes");
        assert!(matches!(
            Header::parse(&header, 4),
            Err(PacketError::TooLong { .. })
        ));
    }

    #[test]
    fn zero_checksum_only_from_new_hosts() {
        let h = Header {
            command: WRTE,
            arg0: 1,
            arg1: 2,
            len: 3,
            check: 0,
        };
        assert!(h.verify(b"abc", VERSION_SKIP_CHECKSUM).is_ok());
        assert!(h.verify(b"abc", 0x0100_0000).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(command_name(CNXN), "CNXN");
        assert_eq!(command_name(0x1234), "0x00001234");
    }
}
