//! A real SMTP server inside the test process, to receive the mails the server
//! under test sends (password reset, e-mail verification) and read them back.
//!
//! The SMTP dialogue (EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-unstuffing,
//! RSET, NOOP, QUIT) is the `mailin` crate's state machine; this file only does
//! the I/O on tokio. Plain SMTP only: no STARTTLS is offered, no AUTH (so the
//! SMTP URL must carry no credentials). `mailin` also refuses the null sender
//! `MAIL FROM:<>` and MAIL/RCPT parameters other than `BODY=`. Messages are
//! parsed (MIME, quoted-printable, base64, RFC 2047) with `mail-parser`.
//!
//! ```ignore
//! let mail = MailCatcher::start().await;
//! // … start the server with its SMTP URL set to `mail.url()` …
//! // … ask for a password reset …
//! let got = mail.wait_for("alice@example.com", 1, Duration::from_secs(5)).await;
//! let link = got[0].link_starting_with("http://").expect("a link");
//! ```

use std::{
    io,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use mail_parser::{Message, MessageParser};
use mailin::{Action, Handler, Response, SessionBuilder, response::OK};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpSocket, TcpStream},
    sync::oneshot,
    task::{JoinHandle, JoinSet},
};

/// Lines are read at most this many bytes at a time, so that a client cannot
/// grow one line without bound (RFC 5321 limits lines to 1,000 bytes).
const MAX_LINE: u64 = 64 * 1024;

type Inbox = Arc<Mutex<Vec<Mail>>>;

/// One message as received: the SMTP envelope and the raw RFC 5322 text.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub to: Vec<String>,
    /// The message exactly as received after DATA (dot-unstuffed, CRLF line
    /// ends, without the final `.` line).
    pub data: String,
}

impl Mail {
    fn parsed(&self) -> Option<Message<'_>> {
        MessageParser::default().parse(self.data.as_bytes())
    }

    /// The `Subject` header, with RFC 2047 encoded-words decoded.
    pub fn subject(&self) -> Option<String> {
        self.parsed()?.subject().map(str::to_owned)
    }

    /// The first text/plain body (quoted-printable or base64 decoded; for a
    /// mail with only an HTML body, that body as text). Empty if none.
    pub fn text(&self) -> String {
        self.parsed()
            .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
            .unwrap_or_default()
    }

    /// The first whitespace-delimited token of [`Mail::text`] that starts with
    /// `prefix`, once stripped of wrapping `<…>`, quotes or parentheses and of
    /// trailing sentence punctuation (`.`, `,`, `;`, `:`, `!`, `?`).
    pub fn link_starting_with(&self, prefix: &str) -> Option<String> {
        self.text()
            .split_whitespace()
            .map(|token| {
                token
                    .trim_start_matches(['<', '(', '"', '\''])
                    .trim_end_matches(['>', ')', '"', '\'', '.', ',', ';', ':', '!', '?'])
            })
            .find(|token| token.starts_with(prefix))
            .map(str::to_owned)
    }
}

/// An SMTP server on 127.0.0.1 that keeps every message it is sent.
///
/// Dropping it stops it too, a moment later; use [`MailCatcher::stop`] to know
/// that the port is closed.
pub struct MailCatcher {
    port: u16,
    inbox: Inbox,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl MailCatcher {
    /// Starts a catcher on a free port of 127.0.0.1.
    pub async fn start() -> MailCatcher {
        Self::start_on(0).await
    }

    /// Starts a catcher on the given port of 127.0.0.1 (0: a free one), for
    /// instance to bring one back after [`MailCatcher::stop`]. Panics if the
    /// port cannot be bound.
    pub async fn start_on(port: u16) -> MailCatcher {
        let listener = bind(port)
            .unwrap_or_else(|e| panic!("mail catcher cannot listen on 127.0.0.1:{port}: {e}"));
        let port = listener.local_addr().expect("bound address").port();
        let inbox = Inbox::default();
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(serve(listener, inbox.clone(), stopped));
        MailCatcher {
            port,
            inbox,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:PORT`, the form of the server's `SMTP_URL` setting.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops it: the listener is closed (new connections are refused) and open
    /// SMTP sessions are cut before this returns, so `start_on(port)` works.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        self.inbox.lock().unwrap().clone()
    }

    /// Waits until at least `count` messages with `to` (compared without
    /// regard to case) among their envelope recipients have arrived, and
    /// returns all of those. Panics after `timeout`, listing what did arrive.
    pub async fn wait_for(&self, to: &str, count: usize, timeout: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + timeout;
        loop {
            let all = self.messages();
            let hits: Vec<Mail> = all
                .iter()
                .filter(|m| m.to.iter().any(|r| r.eq_ignore_ascii_case(to)))
                .cloned()
                .collect();
            if hits.len() >= count {
                return hits;
            }
            if Instant::now() >= deadline {
                let seen: Vec<String> = all
                    .iter()
                    .map(|m| format!("  from {} to {:?}: {:?}", m.from, m.to, m.subject()))
                    .collect();
                panic!(
                    "mail catcher on port {}: expected {count} mail(s) to {to} within {timeout:?}, \
                     got {}; all {} received:\n{}",
                    self.port,
                    hits.len(),
                    all.len(),
                    seen.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn bind(port: u16) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    // Connections just closed (TIME_WAIT) must not keep a restart off the port.
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    socket.listen(128)
}

/// Accepts until told to stop (or until the `MailCatcher` is dropped), then
/// closes the listener and cuts every open session.
async fn serve(listener: TcpListener, inbox: Inbox, mut stopped: oneshot::Receiver<()>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    sessions.spawn(session(stream, peer.ip(), inbox.clone()));
                }
                // Out of file descriptors or the like: wait a little.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    drop(listener);
    sessions.shutdown().await;
}

/// One SMTP session: lines in, `mailin` decides, replies out.
async fn session(stream: TcpStream, peer: IpAddr, inbox: Inbox) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let recorder = Recorder {
        inbox,
        envelope: None,
        data: Vec::new(),
    };
    let mut smtp = SessionBuilder::new("mail-catcher").build(peer, recorder);
    write.write_all(&smtp.greeting().buffer()?).await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if (&mut read)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)
            .await?
            == 0
        {
            return Ok(());
        }
        let reply = smtp.process(&line);
        write.write_all(&reply.buffer()?).await?;
        match reply.action {
            Action::Reply | Action::NoReply => {}
            Action::Close | Action::UpgradeTls => return Ok(()),
        }
    }
}

/// Collects one message at a time and files it in the inbox at the final dot.
struct Recorder {
    inbox: Inbox,
    envelope: Option<(String, Vec<String>)>,
    data: Vec<u8>,
}

impl Handler for Recorder {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.envelope = Some((from.to_owned(), to.to_vec()));
        self.data.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some((from, to)) = self.envelope.take() {
            let data = String::from_utf8_lossy(&std::mem::take(&mut self.data)).into_owned();
            self.inbox.lock().unwrap().push(Mail { from, to, data });
        }
        OK
    }
}

#[cfg(test)]
mod tests {
    use lettre::{
        AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
        message::{
            MultiPart, SinglePart,
            header::{ContentTransferEncoding, ContentType},
        },
    };

    use super::*;

    const LINK: &str =
        "http://localhost:8080/reset-password?token=abc123def456ghi789jkl012mno345pqr678";

    /// A multipart (text + HTML) mail with a quoted-printable text part, the way
    /// the server will send it: lettre over `smtp://` (plain).
    async fn send_with_lettre(url: &str, to: &str) -> Result<(), lettre::transport::smtp::Error> {
        let text = format!(
            "Hello Jörg,\n\nreset your password here: <{LINK}>.\n.a line that starts with a dot\n"
        );
        let html = "<p><a href=\"http://localhost:8080/html-only\">reset</a></p>";
        let message = lettre::Message::builder()
            .from("Spider Web <noreply@spider.test>".parse().unwrap())
            .to(to.parse().unwrap())
            .subject("Réinitialiser le mot de passe")
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .header(ContentTransferEncoding::QuotedPrintable)
                            .body(text),
                    )
                    .singlepart(SinglePart::html(html.to_owned())),
            )
            .unwrap();
        let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .unwrap()
            .build();
        mailer.send(message).await.map(|_| ())
    }

    /// One reply (possibly multi-line); returns its code.
    async fn reply(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> u16 {
        loop {
            let mut line = String::new();
            assert!(read.read_line(&mut line).await.unwrap() > 0, "SMTP closed");
            if line.as_bytes().get(3) != Some(&b'-') {
                return line[..3].parse().unwrap();
            }
        }
    }

    /// Speaks SMTP over a raw TcpStream (with NOOP, an abandoned transaction
    /// and dot-stuffing), checking every reply code.
    async fn send_raw(port: u16, from: &str, to: &str, message: &str) {
        let (read, mut write) = TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap()
            .into_split();
        let mut read = BufReader::new(read);
        assert_eq!(reply(&mut read).await, 220);
        let mut say = async |line: String, code: u16| {
            write.write_all(line.as_bytes()).await.unwrap();
            assert_eq!(reply(&mut read).await, code, "reply to {line:?}");
        };
        say("EHLO client.test\r\n".into(), 250).await;
        say("NOOP\r\n".into(), 250).await;
        say("MAIL FROM:<nobody@test>\r\n".into(), 250).await;
        say("RCPT TO:<nobody@test>\r\n".into(), 250).await;
        say("RSET\r\n".into(), 250).await;
        say(format!("MAIL FROM:<{from}>\r\n"), 250).await;
        say(format!("RCPT TO:<{to}>\r\n"), 250).await;
        say("DATA\r\n".into(), 354).await;
        let mut body = String::new();
        for line in message.split("\r\n") {
            // Dot-stuffing (RFC 5321 §4.5.2).
            if line.starts_with('.') {
                body.push('.');
            }
            body.push_str(line);
            body.push_str("\r\n");
        }
        say(format!("{body}.\r\n"), 250).await;
        say("QUIT\r\n".into(), 221).await;
    }

    #[tokio::test]
    async fn mail_catcher_receives_parses_and_restarts() {
        let catcher = MailCatcher::start().await;
        let port = catcher.port();
        assert_ne!(port, 0);
        assert_eq!(catcher.url(), format!("smtp://127.0.0.1:{port}"));

        send_with_lettre(&catcher.url(), "Alice <alice@example.com>")
            .await
            .expect("lettre sends to the catcher");
        let got = catcher
            .wait_for("Alice@Example.com", 1, Duration::from_secs(5))
            .await;
        assert_eq!(got.len(), 1);
        let mail = &got[0];
        assert_eq!(mail.from, "noreply@spider.test");
        assert_eq!(mail.to, ["alice@example.com"]);
        assert!(
            mail.data
                .contains("Content-Transfer-Encoding: quoted-printable"),
            "{}",
            mail.data
        );
        assert!(
            !mail.data.contains(LINK),
            "the link is QP-wrapped on the wire"
        );
        assert_eq!(
            mail.subject().as_deref(),
            Some("Réinitialiser le mot de passe")
        );
        let text = mail.text();
        assert!(text.starts_with("Hello Jörg,"), "{text:?}");
        assert!(
            text.contains("\n.a line that starts with a dot"),
            "{text:?}"
        );
        assert!(!text.contains("html-only"), "{text:?}");
        assert_eq!(
            mail.link_starting_with("http://localhost:8080/reset")
                .as_deref(),
            Some(LINK)
        );
        assert_eq!(mail.link_starting_with("http://localhost:8080/html"), None);
        assert_eq!(catcher.messages().len(), 1);

        // Down: the port refuses connections, and a mailer fails.
        let url = catcher.url();
        catcher.stop().await;
        let refused = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
        assert!(send_with_lettre(&url, "bob@example.com").await.is_err());

        // Back on the same port, with an empty inbox, and receiving again.
        let catcher = MailCatcher::start_on(port).await;
        assert_eq!(catcher.port(), port);
        assert!(catcher.messages().is_empty());
        let plain = "Subject: second\r\n\r\n.dotted\r\nhttps://x.test/verify?t=1 and more";
        send_raw(port, "noreply@spider.test", "carol@example.com", plain).await;
        let got = catcher
            .wait_for("carol@example.com", 1, Duration::from_secs(5))
            .await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].to, ["carol@example.com"]);
        assert_eq!(
            got[0].data,
            "Subject: second\r\n\r\n.dotted\r\nhttps://x.test/verify?t=1 and more\r\n"
        );
        assert_eq!(got[0].subject().as_deref(), Some("second"));
        assert_eq!(
            got[0].link_starting_with("https://").as_deref(),
            Some("https://x.test/verify?t=1")
        );
        catcher.stop().await;
    }

    #[tokio::test]
    #[should_panic(expected = "expected 1 mail(s) to nobody@example.com within 50ms, got 0")]
    async fn mail_catcher_wait_for_panics_on_timeout() {
        let catcher = MailCatcher::start().await;
        catcher
            .wait_for("nobody@example.com", 1, Duration::from_millis(50))
            .await;
    }
}
