//! Who may call the console: pure checks on a request's method and headers, applied by the
//! console's server to every request before any route runs.
//!
//! - Every request must name the console itself in `Host` (`127.0.0.1:<port>`,
//!   `localhost:<port>` or `[::1]:<port>`): a page that rebinds its own DNS name to
//!   127.0.0.1 is refused, so it can neither read the state nor reach the fault routes.
//! - A state-changing request (anything but GET and HEAD) must also carry this run's
//!   console token in `x-hangar-console` (it is only in the page the console serves, which
//!   other origins cannot read), must not come from another origin (`Origin`, when sent,
//!   is the console's own), and must send JSON. A custom header also makes browsers ask
//!   first (CORS preflight), which the console never approves.

/// The header that carries the console token.
pub const TOKEN_HEADER: &str = "x-hangar-console";

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the Host header {0:?} is not this console's address; open the console at http://127.0.0.1:<port>/")]
    Host(String),
    #[error(
        "cross-origin request from {0} refused: only the console's own page may change the stack"
    )]
    Origin(String),
    #[error("missing or wrong console token ({TOKEN_HEADER}); use the console page")]
    Token,
    #[error("send the request body as application/json")]
    ContentType,
}

impl Refusal {
    /// The HTTP status the console answers with.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Host(_) => 421,
            Refusal::ContentType => 415,
            Refusal::Origin(_) | Refusal::Token => 403,
        }
    }
}

/// What the guard looks at in a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub method: &'a str,
    pub host: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub token: Option<&'a str>,
    pub content_type: Option<&'a str>,
}

/// The console's own address and this run's token.
#[derive(Debug, Clone)]
pub struct Guard {
    port: u16,
    token: String,
}

impl Guard {
    pub fn new(port: u16, token: String) -> Self {
        Self { port, token }
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    fn own_hosts(&self) -> [String; 3] {
        let p = self.port;
        [
            format!("127.0.0.1:{p}"),
            format!("localhost:{p}"),
            format!("[::1]:{p}"),
        ]
    }

    /// Allows or refuses a request.
    pub fn check(&self, r: &RequestFacts<'_>) -> Result<(), Refusal> {
        let host = r.host.unwrap_or("");
        if !self
            .own_hosts()
            .iter()
            .any(|h| h.eq_ignore_ascii_case(host))
        {
            return Err(Refusal::Host(host.to_string()));
        }
        if matches!(r.method, "GET" | "HEAD") {
            return Ok(());
        }
        if let Some(origin) = r.origin {
            let own = self
                .own_hosts()
                .iter()
                .any(|h| origin.eq_ignore_ascii_case(&format!("http://{h}")));
            if !own {
                return Err(Refusal::Origin(origin.to_string()));
            }
        }
        if !r.token.is_some_and(|t| constant_time_eq(t, &self.token)) {
            return Err(Refusal::Token);
        }
        let json = r.content_type.is_some_and(|c| {
            c.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
        if !json {
            return Err(Refusal::ContentType);
        }
        Ok(())
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard::new(3100, "secret-token".into())
    }

    fn post<'a>(origin: Option<&'a str>, token: Option<&'a str>) -> RequestFacts<'a> {
        RequestFacts {
            method: "POST",
            host: Some("127.0.0.1:3100"),
            origin,
            token,
            content_type: Some("application/json"),
        }
    }

    #[test]
    fn reads_from_the_console_address_pass_and_from_a_rebound_name_are_refused() {
        let g = guard();
        for host in [
            "127.0.0.1:3100",
            "localhost:3100",
            "LOCALHOST:3100",
            "[::1]:3100",
        ] {
            let r = RequestFacts {
                method: "GET",
                host: Some(host),
                origin: None,
                token: None,
                content_type: None,
            };
            assert_eq!(g.check(&r), Ok(()), "{host}");
        }
        for host in [Some("evil.example:3100"), Some("127.0.0.1:3101"), None] {
            let r = RequestFacts {
                method: "GET",
                host,
                origin: None,
                token: None,
                content_type: None,
            };
            let e = g.check(&r).unwrap_err();
            assert!(matches!(e, Refusal::Host(_)), "{host:?}");
            assert_eq!(e.status(), 421);
        }
    }

    #[test]
    fn a_change_needs_the_token_and_the_console_origin() {
        let g = guard();
        assert_eq!(
            g.check(&post(Some("http://127.0.0.1:3100"), Some("secret-token"))),
            Ok(())
        );
        assert_eq!(
            g.check(&post(Some("http://localhost:3100"), Some("secret-token"))),
            Ok(())
        );
        // A client that sends no Origin (curl, a test) still needs the token.
        assert_eq!(g.check(&post(None, Some("secret-token"))), Ok(()));
        assert_eq!(g.check(&post(None, None)), Err(Refusal::Token));
        assert_eq!(
            g.check(&post(None, Some("secret-tokeN"))),
            Err(Refusal::Token)
        );
        assert_eq!(g.check(&post(None, Some("secret"))), Err(Refusal::Token));
        for origin in [
            "https://evil.example",
            "http://127.0.0.1:3101",
            "null",
            "http://127.0.0.1:3100.evil",
        ] {
            let e = g
                .check(&post(Some(origin), Some("secret-token")))
                .unwrap_err();
            assert_eq!(e, Refusal::Origin(origin.into()));
            assert_eq!(e.status(), 403);
        }
    }

    #[test]
    fn a_change_sent_as_a_form_or_plain_text_is_refused() {
        let g = guard();
        for ct in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            let mut r = post(None, Some("secret-token"));
            r.content_type = ct;
            assert_eq!(g.check(&r), Err(Refusal::ContentType), "{ct:?}");
        }
        let mut r = post(None, Some("secret-token"));
        r.content_type = Some("application/json; charset=utf-8");
        assert_eq!(g.check(&r), Ok(()));
        let mut r = post(None, Some("secret-token"));
        r.method = "DELETE";
        assert_eq!(g.check(&r), Ok(()));
    }
}
