//! Shell protocol v2 framing, as adbd and the adb server speak it on
//! `shell,v2,...:` streams: each message is one id byte, a little-endian
//! u32 length and the data. Messages may span transport writes, so the
//! decoder keeps what it has not used yet. Pure: the simulated adbd encodes
//! with it and the device layer decodes with it.

/// Host → device: bytes for the command's stdin.
pub const ID_STDIN: u8 = 0;
/// Device → host: stdout bytes.
pub const ID_STDOUT: u8 = 1;
/// Device → host: stderr bytes.
pub const ID_STDERR: u8 = 2;
/// Device → host: one byte, the exit status.
pub const ID_EXIT: u8 = 3;
/// Host → device: end of stdin.
pub const ID_CLOSE_STDIN: u8 = 4;
// Id 5 (host → device: terminal size change) is ignored: no pty here.

pub fn encode(id: u8, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + data.len());
    out.push(id);
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// The id and payload length of a message header.
pub fn parse_header(header: [u8; 5]) -> (u8, usize) {
    let len = u32::from_le_bytes([header[1], header[2], header[3], header[4]]);
    (header[0], usize::try_from(len).unwrap_or(usize::MAX))
}

/// Reassembles messages from a byte stream.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete message, if one has arrived.
    pub fn next_message(&mut self) -> Option<(u8, Vec<u8>)> {
        if self.buf.len() < 5 {
            return None;
        }
        let len = u32::from_le_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if self.buf.len() < 5 + len {
            return None;
        }
        let id = self.buf[0];
        let data = self.buf[5..5 + len].to_vec();
        self.buf.drain(..5 + len);
        Some((id, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_across_writes_are_reassembled() {
        let mut wire = encode(ID_STDIN, b"hello");
        wire.extend(encode(ID_CLOSE_STDIN, b""));
        let mut d = Decoder::default();
        d.push(&wire[..3]);
        assert_eq!(d.next_message(), None);
        d.push(&wire[3..8]);
        assert_eq!(d.next_message(), None);
        d.push(&wire[8..]);
        assert_eq!(d.next_message(), Some((ID_STDIN, b"hello".to_vec())));
        assert_eq!(d.next_message(), Some((ID_CLOSE_STDIN, Vec::new())));
        assert_eq!(d.next_message(), None);
    }

    #[test]
    fn exit_message_shape() {
        assert_eq!(encode(ID_EXIT, &[3]), vec![3, 1, 0, 0, 0, 3]);
    }
}
