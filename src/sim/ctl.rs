//! `simctl`: the control protocol of a running simulator, for fault
//! injection in reliability tests and demos. One command per line over a
//! loopback TCP connection, one reply line each (`ok ...` or `error: ...`).
//!
//! ```text
//! list                              serials, ports, states
//! offline SERIAL | online SERIAL    take a device offline (connections dropped, new ones refused) or back
//! authorize SERIAL yes|no           the user taps Allow (prompt mode) or revokes
//! drop SERIAL [after N]             drop its connections now, or after N more commands
//! stall SERIAL PREFIX | stall SERIAL off
//!                                   commands starting with PREFIX never finish
//! dump-failure SERIAL RATE          uiautomator dump fails with this probability (0..1)
//! ```
//!
//! Parsing is pure ([`parse`]); the server applies commands through a
//! [`Target`], which the simulator runner implements.

/// One control command.
#[derive(Debug, Clone, PartialEq)]
pub enum CtlCommand {
    List,
    Online {
        serial: String,
        online: bool,
    },
    Authorize {
        serial: String,
        yes: bool,
    },
    Drop {
        serial: String,
        after: Option<u64>,
    },
    Stall {
        serial: String,
        prefix: Option<String>,
    },
    DumpFailure {
        serial: String,
        rate: f64,
    },
}

/// Parses one line.
pub fn parse(line: &str) -> Result<CtlCommand, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let serial = |i: usize| -> Result<String, String> {
        words
            .get(i)
            .map(|s| (*s).to_string())
            .ok_or_else(|| format!("`{}` needs a serial", words.first().copied().unwrap_or("")))
    };
    match words.as_slice() {
        ["list"] => Ok(CtlCommand::List),
        ["offline", _] => Ok(CtlCommand::Online {
            serial: serial(1)?,
            online: false,
        }),
        ["online", _] => Ok(CtlCommand::Online {
            serial: serial(1)?,
            online: true,
        }),
        ["authorize", _, yes @ ("yes" | "no")] => Ok(CtlCommand::Authorize {
            serial: serial(1)?,
            yes: *yes == "yes",
        }),
        ["drop", _] => Ok(CtlCommand::Drop {
            serial: serial(1)?,
            after: None,
        }),
        ["drop", _, "after", n] => n
            .parse::<u64>()
            .map(|n| CtlCommand::Drop {
                serial: words[1].to_string(),
                after: Some(n),
            })
            .map_err(|_| format!("`{n}` is not a number of commands")),
        ["stall", _, "off"] => Ok(CtlCommand::Stall {
            serial: serial(1)?,
            prefix: None,
        }),
        ["stall", _, rest @ ..] if !rest.is_empty() => Ok(CtlCommand::Stall {
            serial: serial(1)?,
            prefix: Some(rest.join(" ")),
        }),
        ["dump-failure", _, r] => match r.parse::<f64>() {
            Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(CtlCommand::DumpFailure {
                serial: serial(1)?,
                rate,
            }),
            _ => Err(format!("`{r}` is not a probability between 0 and 1")),
        },
        [] => Err("empty command".into()),
        [word, ..] => Err(format!(
            "unknown or malformed command `{word}`: expected list, offline, online, authorize, drop, stall or dump-failure"
        )),
    }
}

/// What the control server acts on.
pub trait Target: Send + Sync + 'static {
    /// Applies a command; the reply text after `ok` (may be empty).
    fn apply(&self, command: CtlCommand) -> Result<String, String>;
}

/// Serves the control protocol on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, target: std::sync::Arc<dyn Target>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let target = std::sync::Arc::clone(&target);
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line.trim().is_empty() {
                    continue;
                }
                let reply = match parse(&line).and_then(|c| target.apply(c)) {
                    Ok(text) if text.is_empty() => "ok\n".to_string(),
                    Ok(text) => format!("ok {}\n", text.replace('\n', "\nok ")),
                    Err(e) => format!("error: {e}\n"),
                };
                if write.write_all(reply.as_bytes()).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Sends one command to a running simulator and returns its reply.
pub async fn send(addr: std::net::SocketAddr, command: &str) -> std::io::Result<String> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let stream = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::net::TcpStream::connect(addr),
    )
    .await
    .map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no simulator answers on {addr}"),
        )
    })??;
    let (read, mut write) = stream.into_split();
    write.write_all(format!("{command}\n").as_bytes()).await?;
    let mut reply = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        BufReader::new(read).read_line(&mut reply),
    )
    .await
    .map_err(|_| {
        std::io::Error::new(std::io::ErrorKind::TimedOut, "the simulator did not reply")
    })??;
    Ok(reply.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands() {
        assert_eq!(parse("list"), Ok(CtlCommand::List));
        assert_eq!(
            parse("offline emulator-5554"),
            Ok(CtlCommand::Online {
                serial: "emulator-5554".into(),
                online: false
            })
        );
        assert_eq!(
            parse("drop 127.0.0.1:6000 after 3"),
            Ok(CtlCommand::Drop {
                serial: "127.0.0.1:6000".into(),
                after: Some(3)
            })
        );
        assert_eq!(
            parse("stall emulator-5554 uiautomator dump"),
            Ok(CtlCommand::Stall {
                serial: "emulator-5554".into(),
                prefix: Some("uiautomator dump".into())
            })
        );
        assert_eq!(
            parse("dump-failure emulator-5554 0.25"),
            Ok(CtlCommand::DumpFailure {
                serial: "emulator-5554".into(),
                rate: 0.25
            })
        );
        assert!(parse("dump-failure x 2").is_err());
        assert!(parse("drop x after many").is_err());
        assert!(parse("reboot x").unwrap_err().contains("unknown"));
        assert!(parse("").is_err());
    }
}
