//! Captures written by a real tool (scapy, through
//! `tests/support/make_pcaps.py`), read by `consentry::net`: the exact
//! contacts, packet numbers and times the script set. Without python3 and
//! scapy the test fails and says how to install them (scripts/setup.sh).

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Command;

use consentry::net::{Capture, ContactKind, read_capture};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/make_pcaps.py");

/// A python3 that imports scapy: the one on PATH, else Debian's (a pyenv
/// or venv python3 earlier on PATH does not see python3-scapy).
fn python() -> String {
    for candidate in ["python3", "/usr/bin/python3"] {
        let ok = Command::new(candidate)
            .args(["-c", "import scapy"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return candidate.to_string();
        }
    }
    panic!(
        "tests/net_pcap.rs needs python3 with scapy to write its captures; \
         run scripts/setup.sh (it installs Debian's python3-scapy)"
    );
}

fn captures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(python())
        .arg(SCRIPT)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make_pcaps.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn read(dir: &Path, name: &str) -> Capture {
    let bytes = std::fs::read(dir.join(name)).unwrap();
    match read_capture(&bytes) {
        Ok(c) => c,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn sock(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn scapy_s_captures_give_their_contacts() {
    let dir = captures();

    let c = read(dir.path(), "ethernet.pcap");
    assert_eq!((c.packets, c.undecoded), (6, 0));
    let got: Vec<(usize, i64, ContactKind, &str)> = c
        .contacts
        .iter()
        .map(|x| (x.packet, x.unix_us, x.kind, x.domain.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                1,
                1_714_585_933_100_000,
                ContactKind::DnsQuery,
                "stats.jpush.cn"
            ),
            (
                2,
                1_714_585_933_150_000,
                ContactKind::DnsAnswer,
                "stats.jpush.cn"
            ),
            (
                4,
                1_714_585_934_250_000,
                ContactKind::TlsSni,
                "ulogs.umeng.com"
            ),
            (
                6,
                1_714_585_935_600_000,
                ContactKind::HttpHost,
                "example.org"
            ),
        ]
    );
    let answer = &c.contacts[1];
    assert_eq!(
        answer.addresses,
        ["121.46.19.35".parse::<IpAddr>().unwrap()]
    );
    assert!(answer.aliases.is_empty());
    assert_eq!(
        (answer.src, answer.dst),
        (sock("10.0.2.3:53"), sock("10.0.2.15:40000"))
    );
    assert_eq!(
        (c.contacts[2].src, c.contacts[2].dst),
        (sock("10.0.2.15:50000"), sock("203.0.113.7:443"))
    );
    assert_eq!(c.contacts[3].dst, sock("198.51.100.9:8080"));
    assert_eq!(
        c.contacts[0].describe(),
        "2024-05-01 17:52:13.100000 UTC DNS query stats.jpush.cn (10.0.2.15:40000 → 10.0.2.3:53)"
    );

    let c = read(dir.path(), "dns.pcapng");
    assert_eq!((c.packets, c.undecoded), (1, 0));
    let q = &c.contacts[..];
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(
        (q[0].packet, q[0].unix_us, q[0].kind, q[0].domain.as_str()),
        (
            1,
            1_714_585_936_000_001,
            ContactKind::DnsQuery,
            "ng.example"
        )
    );

    let c = read(dir.path(), "sll.pcap");
    assert_eq!((c.packets, c.undecoded), (1, 0));
    let q = &c.contacts[..];
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(
        (q[0].packet, q[0].unix_us, q[0].kind, q[0].domain.as_str()),
        (
            1,
            1_714_585_937_000_002,
            ContactKind::DnsQuery,
            "sll.example"
        )
    );
    assert_eq!(q[0].src, sock("10.0.2.15:40002"));

    // The same file cut short by the emulator's death: the packets before
    // the cut, the cut counted.
    let bytes = std::fs::read(dir.path().join("ethernet.pcap")).unwrap();
    let c = read_capture(&bytes[..bytes.len() - 20]).unwrap();
    assert_eq!(c.contacts.len(), 3);
    assert_eq!((c.packets, c.undecoded), (6, 1));
}
