//! The emulator console client: the text protocol on the console port
//! (the even port N of `emulator-N`). The emulator greets with a banner
//! that asks for the token of `~/.emulator_console_auth_token` (it creates
//! the file at first start); `auth TOKEN` opens the session. Each command
//! is a line, answered by lines that end in `OK` (or `OK: ...`) or a
//! `KO: ...` line. Every read and write here has a time limit, and the
//! token is never written to logs or errors.

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The longest reply or banner read, in lines.
const MAX_LINES: usize = 4096;

/// Why a console exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("console port {port}: cannot connect: {source}")]
    Connect { port: u16, source: std::io::Error },
    #[error("console port {port}: `{command}`: no answer within {} ms", limit.as_millis())]
    Timeout {
        port: u16,
        command: String,
        limit: Duration,
    },
    #[error("console port {port}: `{command}`: {source}")]
    Io {
        port: u16,
        command: String,
        source: std::io::Error,
    },
    #[error("console port {port}: `{command}`: the console refused: {reply}")]
    Refused {
        port: u16,
        command: String,
        reply: String,
    },
    #[error(
        "console port {port}: the emulator asks for the token of {} and {why}",
        path.display()
    )]
    Token {
        port: u16,
        path: PathBuf,
        why: String,
    },
    #[error("console port {port}: the token in {} was refused: {reply} (is the emulator run by another user, or with another HOME?)", path.display())]
    BadToken {
        port: u16,
        path: PathBuf,
        reply: String,
    },
    #[error("console port {port}: `{command}` cannot be sent: it holds a line break")]
    Unsafe { port: u16, command: String },
}

/// The auth token file the emulator reads and writes.
pub fn token_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".emulator_console_auth_token"))
}

/// An open, authenticated console session.
pub struct Console {
    port: u16,
    limit: Duration,
    rd: BufReader<OwnedReadHalf>,
    wr: OwnedWriteHalf,
}

/// How one reply ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Reply {
    /// The lines before `OK` (and the text after `OK: `, if any).
    Ok(Vec<String>),
    /// The `KO: ...` text.
    Ko(String),
}

/// Sorts a reply line: the end of a reply (`OK`, `OK: text`, `KO: text`)
/// or a line of it.
pub(super) fn classify(line: &str) -> Option<Result<Option<String>, String>> {
    let l = line.trim_end_matches(['\r', '\n']);
    if l == "OK" {
        Some(Ok(None))
    } else if let Some(rest) = l.strip_prefix("OK:") {
        Some(Ok(Some(rest.trim().to_string())))
    } else if l == "KO" || l.starts_with("KO:") || l.starts_with("KO ") {
        Some(Err(l
            .trim_start_matches("KO")
            .trim_start_matches(':')
            .trim()
            .to_string()))
    } else {
        None
    }
}

impl Console {
    /// Connects to the console on 127.0.0.1:`port`, reads the banner and
    /// authenticates when the banner asks for it.
    pub async fn open(port: u16, limit: Duration) -> Result<Self, ConsoleError> {
        let stream =
            match tokio::time::timeout(limit, TcpStream::connect(("127.0.0.1", port))).await {
                Ok(Ok(s)) => s,
                Ok(Err(source)) => return Err(ConsoleError::Connect { port, source }),
                Err(_) => {
                    return Err(ConsoleError::Timeout {
                        port,
                        command: "connect".into(),
                        limit,
                    });
                }
            };
        let (rd, wr) = stream.into_split();
        let mut c = Self {
            port,
            limit,
            rd: BufReader::new(rd),
            wr,
        };
        let banner = match c.reply("(banner)").await? {
            Reply::Ok(lines) => lines,
            Reply::Ko(reply) => {
                return Err(ConsoleError::Refused {
                    port,
                    command: "(banner)".into(),
                    reply,
                });
            }
        };
        if banner.iter().any(|l| l.contains("Authentication required")) {
            c.auth().await?;
        }
        Ok(c)
    }

    async fn auth(&mut self) -> Result<(), ConsoleError> {
        let port = self.port;
        let Some(path) = token_path() else {
            return Err(ConsoleError::Token {
                port,
                path: PathBuf::from("~/.emulator_console_auth_token"),
                why: "HOME is not set".into(),
            });
        };
        let token = match std::fs::read_to_string(&path) {
            Ok(t) => t.trim().to_string(),
            Err(e) => {
                return Err(ConsoleError::Token {
                    port,
                    path,
                    why: format!("it cannot be read: {e}"),
                });
            }
        };
        if token.is_empty() || token.contains(['\r', '\n']) {
            return Err(ConsoleError::Token {
                port,
                path,
                why: "it holds no single-line token".into(),
            });
        }
        self.send(&format!("auth {token}"), "auth").await?;
        match self.reply("auth").await? {
            Reply::Ok(_) => Ok(()),
            Reply::Ko(reply) => Err(ConsoleError::BadToken { port, path, reply }),
        }
    }

    async fn send(&mut self, line: &str, shown: &str) -> Result<(), ConsoleError> {
        let port = self.port;
        if line.contains(['\r', '\n']) {
            return Err(ConsoleError::Unsafe {
                port,
                command: shown.into(),
            });
        }
        let data = format!("{line}\r\n");
        match tokio::time::timeout(self.limit, self.wr.write_all(data.as_bytes())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(source)) => Err(ConsoleError::Io {
                port,
                command: shown.into(),
                source,
            }),
            Err(_) => Err(ConsoleError::Timeout {
                port,
                command: shown.into(),
                limit: self.limit,
            }),
        }
    }

    async fn reply(&mut self, command: &str) -> Result<Reply, ConsoleError> {
        let port = self.port;
        let deadline = tokio::time::Instant::now() + self.limit;
        let mut lines = Vec::new();
        let mut line = String::new();
        while lines.len() < MAX_LINES {
            line.clear();
            let n = match tokio::time::timeout_at(deadline, self.rd.read_line(&mut line)).await {
                Ok(Ok(n)) => n,
                Ok(Err(source)) => {
                    return Err(ConsoleError::Io {
                        port,
                        command: command.into(),
                        source,
                    });
                }
                Err(_) => {
                    return Err(ConsoleError::Timeout {
                        port,
                        command: command.into(),
                        limit: self.limit,
                    });
                }
            };
            if n == 0 {
                return Err(ConsoleError::Io {
                    port,
                    command: command.into(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the console closed the connection",
                    ),
                });
            }
            match classify(&line) {
                Some(Ok(tail)) => {
                    lines.extend(tail);
                    return Ok(Reply::Ok(lines));
                }
                Some(Err(ko)) => return Ok(Reply::Ko(ko)),
                None => lines.push(line.trim_end_matches(['\r', '\n']).to_string()),
            }
        }
        Err(ConsoleError::Io {
            port,
            command: command.into(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "the reply does not end"),
        })
    }

    /// Sends one command and returns the lines of its `OK` reply; a `KO`
    /// is an error quoting it.
    pub async fn command(&mut self, command: &str) -> Result<Vec<String>, ConsoleError> {
        self.send(command, command).await?;
        match self.reply(command).await? {
            Reply::Ok(lines) => Ok(lines),
            Reply::Ko(reply) => Err(ConsoleError::Refused {
                port: self.port,
                command: command.into(),
                reply,
            }),
        }
    }

    /// `kill`: the emulator answers and exits; a connection closed before
    /// the answer counts as done.
    pub async fn kill(mut self) -> Result<(), ConsoleError> {
        match self.command("kill").await {
            Ok(_) | Err(ConsoleError::Io { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_ends_are_told_apart() {
        assert_eq!(classify("OK\r\n"), Some(Ok(None)));
        assert_eq!(
            classify("OK: killing emulator, bye bye\r\n"),
            Some(Ok(Some("killing emulator, bye bye".into())))
        );
        assert_eq!(
            classify("KO: authentication token does not match ~/.emulator_console_auth_token\r\n"),
            Some(Err(
                "authentication token does not match ~/.emulator_console_auth_token".into()
            ))
        );
        assert_eq!(
            classify("Android Console: type 'help' for a list of commands\r\n"),
            None
        );
        assert_eq!(classify("OKAY then"), None);
    }
}
