//! Outbound HTTP policy against real local servers: allowlist, redirects, header rules,
//! credentials seam, size cap and timeouts.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use ledgerlink::net::{
    AllowedHosts, CallBudget, Credentials, HttpLimits, NetError, NoCredentials, OutboundHttp,
    OutboundRequest, Pacer, RateLimit, ReservedEndpoints,
};
use reqwest::header::{HeaderMap, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A one-route server: answers every request with `response(n)` (n = 0-based request
/// number), records the raw requests, and counts connections.
struct Server {
    port: u16,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

async fn serve(response: impl Fn(usize) -> Option<Vec<u8>> + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (c, r) = (connections.clone(), requests.clone());
    let response = Arc::new(response);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            c.fetch_add(1, Ordering::SeqCst);
            let (r, response) = (r.clone(), response.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let index = {
                    let mut seen = r.lock().unwrap();
                    seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                    seen.len() - 1
                };
                match response(index) {
                    Some(bytes) => {
                        let _ = stream.write_all(&bytes).await;
                        let _ = stream.shutdown().await;
                    }
                    // Never answer: hold the connection open.
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    Server {
        port,
        connections,
        requests,
    }
}

fn ok(body: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n{body}", body.len()).into_bytes()
}

fn sender(
    allowed: &[String],
    limits: HttpLimits,
    credentials: Arc<dyn Credentials>,
) -> OutboundHttp {
    OutboundHttp::new(
        "demo",
        AllowedHosts::parse(allowed).unwrap(),
        limits,
        credentials,
    )
    .unwrap()
}

fn get(url: String, headers: &[(&str, &str)]) -> OutboundRequest {
    OutboundRequest {
        method: reqwest::Method::GET,
        url,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: None,
        retry_safe: false,
    }
}

#[tokio::test]
async fn an_allowed_origin_is_reached_with_the_plugins_headers() {
    let server = serve(|_| Some(ok("hello"))).await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    );
    let response = http
        .send(get(format!("{origin}/x"), &[("Accept", "text/plain")]))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"hello");
    let seen = server.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(seen.starts_with("get /x http/1.1\r\n"), "{seen}");
    assert!(seen.contains("accept: text/plain\r\n"), "{seen}");
    assert!(seen.contains("user-agent: ledgerlink/"), "{seen}");
}

#[tokio::test]
async fn a_plugin_may_not_set_credentials_itself() {
    let server = serve(|_| Some(ok("hello"))).await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    );
    let err = http
        .send(get(
            format!("{origin}/x"),
            &[("Authorization", "Bearer stolen")],
        ))
        .await
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "plugin demo may not set the authorization header: the host adds credentials itself"
    );
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed_nor_retried() {
    let elsewhere = serve(|_| Some(ok("leaked"))).await;
    let target = format!("http://127.0.0.1:{}/collect", elsewhere.port);
    let bouncer = serve(move |_| {
        Some(format!("HTTP/1.1 302 Found\r\nlocation: {target}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").into_bytes())
    })
    .await;
    let origin = format!("http://127.0.0.1:{}", bouncer.port);
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    );
    // Retry-safe: before, the refusal was a "transport failure" sent again six times.
    let mut request = get(format!("{origin}/start"), &[]);
    request.retry_safe = true;
    let started = std::time::Instant::now();
    let err = http.send(request).await.expect_err("refused");
    assert!(matches!(err, NetError::RedirectRefused { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "plugin demo's request to {origin} was redirected to http://127.0.0.1:{}, which is not an allowed host; the redirect was not followed and the request was not retried",
            elsewhere.port
        )
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(bouncer.requests.lock().unwrap().len(), 1, "sent once");
    assert_eq!(
        elsewhere.connections.load(Ordering::SeqCst),
        0,
        "the other origin got nothing"
    );
}

#[tokio::test]
async fn a_response_over_the_size_cap_is_abandoned() {
    let big = "x".repeat(200_000);
    let declared = serve(move |_| Some(ok(&big))).await;
    // The same size without Content-Length (close-delimited body): caught while streaming.
    let streamed = serve(|_| {
        let mut r = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_vec();
        r.extend(std::iter::repeat_n(b'y', 200_000));
        Some(r)
    })
    .await;
    for server in [&declared, &streamed] {
        let origin = format!("http://127.0.0.1:{}", server.port);
        let limits = HttpLimits {
            max_response_bytes: 100_000,
            ..HttpLimits::default()
        };
        let http = sender(
            std::slice::from_ref(&origin),
            limits,
            Arc::new(NoCredentials),
        );
        let err = http
            .send(get(format!("{origin}/big"), &[]))
            .await
            .expect_err("too large");
        assert_eq!(
            err.to_string(),
            format!(
                "response to plugin demo from {origin} exceeds the 100000-byte limit; the request was abandoned"
            )
        );
    }
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let server = serve(|_| None).await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let limits = HttpLimits {
        request_timeout: Duration::from_millis(300),
        ..HttpLimits::default()
    };
    let http = sender(
        std::slice::from_ref(&origin),
        limits,
        Arc::new(NoCredentials),
    );
    let err = http
        .send(get(format!("{origin}/slow"), &[]))
        .await
        .expect_err("timeout");
    assert_eq!(
        err.to_string(),
        format!("request from plugin demo to {origin} timed out after 300ms")
    );
}

/// Credentials that rotate once when told the current ones were refused.
struct Rotating {
    token: Mutex<&'static str>,
}

#[async_trait]
impl Credentials for Rotating {
    async fn apply(&self, headers: &mut HeaderMap) -> Result<(), NetError> {
        let token = *self.token.lock().unwrap();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        Ok(())
    }
    async fn unauthorized(&self, _rejected: &HeaderMap) -> Result<bool, NetError> {
        *self.token.lock().unwrap() = "fresh";
        Ok(true)
    }
}

#[tokio::test]
async fn credentials_are_added_by_the_host_and_renewed_once_on_401() {
    let server = serve(|n| {
        Some(if n == 0 {
            b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec()
        } else {
            ok("welcome")
        })
    })
    .await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(Rotating {
            token: Mutex::new("stale"),
        }),
    );
    let response = http.send(get(format!("{origin}/me"), &[])).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"welcome");
    let seen = server.requests.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[0]
            .to_ascii_lowercase()
            .contains("authorization: bearer stale\r\n")
    );
    assert!(
        seen[1]
            .to_ascii_lowercase()
            .contains("authorization: bearer fresh\r\n")
    );
}

/// Credentials that always send the same long token.
struct Fixed;

#[async_trait]
impl Credentials for Fixed {
    async fn apply(&self, headers: &mut HeaderMap) -> Result<(), NetError> {
        let mut v = HeaderValue::from_static("Bearer tok-3f9a8b7c6d5e4f3a2b1c");
        v.set_sensitive(true);
        headers.insert("authorization", v);
        Ok(())
    }
}

#[tokio::test]
async fn a_server_echoing_the_credential_never_hands_it_to_the_plugin() {
    // An echo service: the request comes back in a header and in the body.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let n = stream.read(&mut buf).await.unwrap();
        let request = String::from_utf8_lossy(&buf[..n]).into_owned();
        let auth = request
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
            .unwrap_or("")
            .to_owned();
        let body = format!("you sent: {request}");
        let response = format!(
            "HTTP/1.1 200 OK\r\nx-echo: {auth}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await.unwrap();
    });
    let origin = format!("http://127.0.0.1:{port}");
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(Fixed),
    );
    let response = http.send(get(format!("{origin}/echo"), &[])).await.unwrap();
    let body = String::from_utf8(response.body).unwrap();
    assert!(!body.contains("tok-3f9a8b7c6d5e4f3a2b1c"), "{body}");
    assert!(
        body.contains("authorization: [redacted]") || body.contains("Authorization: [redacted]"),
        "{body}"
    );
    let echo = response
        .headers
        .iter()
        .find(|(k, _)| k == "x-echo")
        .map(|(_, v)| v.as_str());
    assert_eq!(echo, Some("[redacted]"));
}

#[tokio::test]
async fn an_api_key_is_added_by_the_host_and_its_header_is_reserved() {
    use ledgerlink::auth::credentials::ApiKeyCredentials;
    use ledgerlink::auth::vault::Secret;
    let server = serve(|_| Some(ok("fine"))).await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let creds = ApiKeyCredentials::new(
        reqwest::header::HeaderName::from_static("x-api-key"),
        Some("Key ".to_owned()),
        Secret::new("ak-0123456789abcdef"),
    );
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(creds),
    );
    let response = http
        .send(get(format!("{origin}/orders"), &[]))
        .await
        .unwrap();
    assert_eq!(response.body, b"fine");
    let seen = server.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(
        seen.contains("x-api-key: key ak-0123456789abcdef\r\n"),
        "{seen}"
    );

    let err = http
        .send(get(format!("{origin}/orders"), &[("X-Api-Key", "guess")]))
        .await
        .expect_err("reserved");
    assert_eq!(
        err.to_string(),
        "plugin demo may not set the x-api-key header: the host adds credentials itself"
    );
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        1,
        "the refused request sent nothing"
    );
}

fn status(code: u16, extra_headers: &str) -> Vec<u8> {
    format!("HTTP/1.1 {code} X\r\ncontent-length: 0\r\n{extra_headers}connection: close\r\n\r\n")
        .into_bytes()
}

/// A 200 whose body stops short of its Content-Length: the write happened, the answer is lost.
fn cut() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{".to_vec()
}

fn post(url: String, retry_safe: bool) -> OutboundRequest {
    OutboundRequest {
        method: reqwest::Method::POST,
        url,
        headers: vec![],
        body: Some(b"{}".to_vec()),
        retry_safe,
    }
}

#[tokio::test]
async fn a_throttled_request_is_sent_again_after_retry_after() {
    let server = serve(|n| {
        Some(if n == 0 {
            status(429, "retry-after: 1\r\n")
        } else {
            ok("done")
        })
    })
    .await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    );
    let started = std::time::Instant::now();
    // Not retry-safe: a 429 means the vendor did not process it, so it is sent again anyway.
    let response = http.send(post(format!("{origin}/x"), false)).await.unwrap();
    assert_eq!(
        (response.status, response.body.as_slice()),
        (200, b"done".as_slice())
    );
    assert_eq!(server.requests.lock().unwrap().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_outage_is_retried_only_for_retry_safe_requests() {
    let server = serve(|n| {
        Some(if n % 2 == 0 {
            status(503, "")
        } else {
            ok("done")
        })
    })
    .await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    );

    let unsafe_write = http.send(post(format!("{origin}/x"), false)).await.unwrap();
    assert_eq!(unsafe_write.status, 503);
    assert_eq!(server.requests.lock().unwrap().len(), 1);

    // Request 1 answers 200: consume it so the next retry-safe send meets a 503 first.
    http.send(post(format!("{origin}/x"), false)).await.unwrap();
    let safe_write = http.send(post(format!("{origin}/x"), true)).await.unwrap();
    assert_eq!(safe_write.status, 200);
    assert_eq!(server.requests.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_response_cut_after_the_write_is_retried_only_when_retry_safe() {
    let server = serve(|n| Some(if n % 2 == 0 { cut() } else { ok("done") })).await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    );

    let err = http
        .send(post(format!("{origin}/x"), false))
        .await
        .expect_err("cut");
    assert!(matches!(err, NetError::Transport { .. }), "{err}");
    assert_eq!(server.requests.lock().unwrap().len(), 1);

    http.send(post(format!("{origin}/x"), false)).await.unwrap();
    let response = http.send(post(format!("{origin}/x"), true)).await.unwrap();
    assert_eq!(response.body, b"done");
    assert_eq!(server.requests.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn requests_are_paced_to_the_declared_rate_limit() {
    let server = serve(|_| Some(ok("done"))).await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let pacer = Arc::new(Pacer::new(
        &[RateLimit {
            requests: 2,
            window: Duration::from_millis(600),
        }],
        1,
    ));
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    )
    .with_pacer(pacer);
    let started = std::time::Instant::now();
    for _ in 0..3 {
        http.send(get(format!("{origin}/x"), &[])).await.unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests.lock().unwrap().len(), 3);
}

/// Case 15: `Host` and the framing headers are the host's; nothing is sent.
#[tokio::test]
async fn a_plugin_may_not_set_host_or_framing_headers() {
    let server = serve(|_| Some(ok("hello"))).await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    );
    let cases = [
        (
            "Host",
            "intranet.local",
            "plugin demo may not set the host header: the host sets it from the URL, so a request reaches only the host its URL names",
        ),
        (
            "Transfer-Encoding",
            "chunked",
            "plugin demo may not set the transfer-encoding header: the host frames the request itself",
        ),
        (
            "Content-Length",
            "0",
            "plugin demo may not set the content-length header: the host frames the request itself",
        ),
    ];
    for (name, value, message) in cases {
        let err = http
            .send(get(format!("{origin}/x"), &[(name, value)]))
            .await
            .expect_err(name);
        assert_eq!(err.to_string(), message);
    }
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );
}

/// Case 14: the connection's OAuth token and revocation endpoints are the host's: a request
/// there is refused before anything is sent, and a redirect there is not followed.
#[tokio::test]
async fn the_oauth_token_endpoint_is_reserved_for_the_host() {
    let server = serve(|n| {
        Some(if n == 0 {
            b"HTTP/1.1 307 Temporary Redirect\r\nlocation: /oauth/token\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec()
        } else {
            ok("{\"access_token\":\"minted\"}")
        })
    })
    .await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let token = format!("{origin}/oauth/token");
    let revoke = format!("{origin}/oauth/revoke");
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    )
    .with_reserved(ReservedEndpoints::new([
        (token.as_str(), "OAuth token endpoint"),
        (revoke.as_str(), "OAuth revocation endpoint"),
    ]));
    for (url, what) in [
        (token.clone(), "OAuth token endpoint"),
        (format!("{origin}/OAUTH//token/"), "OAuth token endpoint"),
        (revoke.clone(), "OAuth revocation endpoint"),
    ] {
        let err = http.send(get(url.clone(), &[])).await.expect_err(&url);
        assert_eq!(
            err.to_string(),
            format!(
                "plugin demo may not send requests to {url}: it is this connection's {what}, which only the host calls; nothing was sent"
            )
        );
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 0);

    // An allowed path that redirects to the token endpoint.
    let err = http
        .send(get(format!("{origin}/innocent"), &[]))
        .await
        .expect_err("redirect refused");
    assert_eq!(
        err.to_string(),
        format!(
            "plugin demo's request to {origin} was redirected to {token}, this connection's OAuth token endpoint, which only the host calls; the redirect was not followed and the request was not retried"
        )
    );
    assert_eq!(
        server.requests.lock().unwrap().len(),
        1,
        "only /innocent was sent"
    );
}

/// Case 4: a `Retry-After` longer than what the call has left: the 429 goes back as the
/// vendor sent it, at once.
#[tokio::test]
async fn a_retry_after_longer_than_the_budget_is_passed_on_at_once() {
    let server = serve(|_| Some(status(429, "retry-after: 120\r\n"))).await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    );
    let budget = CallBudget::new(Duration::from_secs(30), Duration::from_secs(300));
    let started = std::time::Instant::now();
    let response = http
        .send_within(post(format!("{origin}/x"), true), &budget)
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(response.status, 429);
    assert!(
        response
            .headers
            .iter()
            .any(|(k, v)| k == "retry-after" && v == "120")
    );
    assert_eq!(server.requests.lock().unwrap().len(), 1);
}

/// Case 4: backoff after outages stops when the next wait would outlast the budget.
#[tokio::test]
async fn retries_stop_when_the_budget_would_run_out() {
    let server = serve(|_| Some(status(503, ""))).await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    );
    let budget = CallBudget::new(Duration::from_secs(1), Duration::ZERO);
    let started = std::time::Instant::now();
    let response = http
        .send_within(post(format!("{origin}/x"), true), &budget)
        .await
        .unwrap();
    assert_eq!(response.status, 503);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    // Backoff 250 ms, 500 ms, then 1 s would pass the budget: 2 or 3 attempts, not 6.
    let sent = server.requests.lock().unwrap().len();
    assert!((2..=3).contains(&sent), "{sent} attempts");
}

/// Pacing waits are given back to the call up to a cap; a request that would wait longer
/// is not sent and a host-made 429 says when to come back.
#[tokio::test]
async fn pacing_past_its_cap_answers_429_without_sending() {
    let server = serve(|_| Some(ok("done"))).await;
    let origin = format!("http://127.0.0.1:{}", server.port);
    let pacer = Arc::new(Pacer::new(
        &[RateLimit {
            requests: 1,
            window: Duration::from_millis(700),
        }],
        1,
    ));
    let http = sender(
        std::slice::from_ref(&origin),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    )
    .with_pacer(pacer);
    // A 300 ms budget, 2 s of pacing allowed: the second request waits ~0.7 s and succeeds.
    let budget = CallBudget::new(Duration::from_millis(300), Duration::from_secs(2));
    for _ in 0..2 {
        let response = http
            .send_within(get(format!("{origin}/x"), &[]), &budget)
            .await
            .unwrap();
        assert_eq!(response.status, 200);
    }
    assert!(budget.remaining().unwrap() > Duration::ZERO);
    // Only 100 ms of pacing allowed: the next one gets the host's 429.
    let budget = CallBudget::new(Duration::from_secs(30), Duration::from_millis(100));
    let response = http
        .send_within(get(format!("{origin}/x"), &[]), &budget)
        .await
        .unwrap();
    assert_eq!(response.status, 429);
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("retry-after"), Some("1"));
    assert_eq!(header("x-ledgerlink-paced"), Some("true"));
    assert_eq!(
        server.requests.lock().unwrap().len(),
        2,
        "the third was not sent"
    );
}
