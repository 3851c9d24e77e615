//! The PostgreSQL connection of [`super::Db`]: a `postgres::Client` owned by a std thread of
//! its own, fed statements over a std channel.
//!
//! The sync client drives a tokio runtime of its own inside each call, and panics ("Cannot
//! start a runtime from within a runtime") on a thread that is already driving tokio, which
//! is where much of ledgerlink calls its store from. On its own thread it never is; the
//! caller blocks on a std channel for the reply, as it would block on SQLite's file lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Config, NoTls, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Error, Row, Value};

/// Turn a driver error into a message: its kind and the server's own words (severity,
/// message, detail), which the driver's `Display` leaves out.
pub(super) fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            s.push_str(&format!(" ({detail})"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        s.push_str(&format!(": {c}"));
        cause = c.source();
    }
    s
}

/// What to do about a connection refused for the server's certificate; empty otherwise.
pub(super) fn connect_hint(e: &postgres::Error) -> &'static str {
    if describe(e).contains("invalid peer certificate") {
        " (the server's TLS certificate was not trusted: give the certificate of the CA that \
         signed it with sslrootcert=PATH in the URL, and connect by the host name it was \
         issued for; see sslmode in docs/admin-guide.md)"
    } else {
        ""
    }
}

/// user@host:port/database, for messages: never the password.
fn target(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    let port = if ports.is_empty() {
        "5432".to_owned()
    } else {
        ports.join(",")
    };
    format!(
        "{}@{}:{}/{}",
        config.get_user().unwrap_or("(default user)"),
        hosts.join(","),
        port,
        config.get_dbname().unwrap_or("(default database)")
    )
}

/// The URL with its password replaced by `***`, for messages.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            // Cannot fail: a URL with a password has a host to hang it on.
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        // Not a URL the `url` crate reads (a bad port, say): cut the password out by hand.
        Err(_) => {
            let start = url.find("://").map_or(0, |i| i + 3);
            match url.rfind('@').filter(|at| *at > start) {
                Some(at) => match url[start..at].find(':') {
                    Some(colon) => format!("{}:***{}", &url[..start + colon], &url[at..]),
                    None => url.to_owned(),
                },
                None => url.to_owned(),
            }
        }
    }
}

enum Op {
    Execute(String, Vec<Value>),
    Query(String, Vec<Value>),
    Batch(String),
}

enum Reply {
    Count(u64),
    Rows(Vec<Row>),
    Done,
}

struct Request {
    op: Op,
    reply: mpsc::Sender<Result<Reply, Error>>,
}

/// A PostgreSQL connection on its own thread. Dropping it ends the thread and closes the
/// connection.
#[derive(Debug)]
pub struct Connection {
    requests: mpsc::Sender<Request>,
    target: String,
    tls: super::pg_tls::Settings,
}

impl Connection {
    /// Connect to `url` on a new thread.
    pub(super) fn open(url: &str) -> Result<Self, Error> {
        let tls_problem = |problem| Error::Tls {
            url: redact(url),
            problem,
        };
        let (rest, tls) = super::pg_tls::split(url).map_err(tls_problem)?;
        let mut config: Config = rest.parse().map_err(|source| Error::Url {
            url: redact(url),
            source,
        })?;
        config.ssl_mode(tls.ssl_mode());
        let connector = tls.connector().map_err(tls_problem)?;
        let target = target(&config);
        let (requests, inbox) = mpsc::channel::<Request>();
        let (ready, connected) = mpsc::channel();
        std::thread::Builder::new()
            .name("ledgerlink-postgres".into())
            .spawn(move || match connect(&config, connector) {
                Ok(client) => {
                    let _ = ready.send(Ok(()));
                    serve(client, &inbox);
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            })
            .map_err(Error::Thread)?;
        match connected.recv() {
            Ok(Ok(())) => Ok(Self {
                requests,
                target,
                tls,
            }),
            Ok(Err(source)) => Err(Error::Connect { target, source }),
            Err(_) => Err(Error::Gone { target }),
        }
    }

    /// user@host:port/database.
    pub(super) fn target(&self) -> &str {
        &self.target
    }

    /// How this connection reaches the server, as the server sees it: TLS (its version)
    /// or not, and what was verified of the server's certificate.
    pub(super) fn transport(&self) -> Result<String, Error> {
        let rows = self.query(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )?;
        let row = rows.first();
        let encrypted = row.map(|r| r.i64(0)).transpose()?.unwrap_or(0) == 1;
        let mode = self.tls.mode.name();
        if !encrypted {
            return Ok(format!("not encrypted (sslmode={mode})"));
        }
        let version = row
            .map(|r| r.opt_text(1))
            .transpose()?
            .flatten()
            .unwrap_or_else(|| "TLS".to_owned());
        use super::pg_tls::Mode;
        let checked = match (self.tls.mode, &self.tls.root_cert) {
            (Mode::VerifyFull, _) => "the server's certificate and host name verified",
            (Mode::VerifyCa, _) | (_, Some(_)) => {
                "the server's certificate verified, its host name not"
            }
            _ => "the server's certificate NOT verified",
        };
        Ok(format!("{version}, {checked} (sslmode={mode})"))
    }

    fn ask(&self, op: Op) -> Result<Reply, Error> {
        let gone = || Error::Gone {
            target: self.target.clone(),
        };
        let (reply, answer) = mpsc::channel();
        self.requests
            .send(Request { op, reply })
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }

    pub(super) fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        match self.ask(Op::Execute(sql.to_owned(), params.to_vec()))? {
            Reply::Count(n) => Ok(n),
            _ => unreachable!("an Execute is answered with a Count"),
        }
    }

    pub(super) fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        match self.ask(Op::Query(sql.to_owned(), params.to_vec()))? {
            Reply::Rows(rows) => Ok(rows),
            _ => unreachable!("a Query is answered with Rows"),
        }
    }

    pub(super) fn batch(&self, sql: &str) -> Result<(), Error> {
        match self.ask(Op::Batch(sql.to_owned()))? {
            Reply::Done => Ok(()),
            _ => unreachable!("a Batch is answered with Done"),
        }
    }
}

/// An open transaction: rolled back when dropped before [`Open::commit`], so a caller that
/// returned an error or panicked never leaves the connection inside it.
pub(super) struct Open<'a> {
    conn: &'a Connection,
    done: bool,
}

impl<'a> Open<'a> {
    /// `BEGIN`, counted in `statements` (as the `COMMIT` will be).
    pub(super) fn begin(conn: &'a Connection, statements: &AtomicU64) -> Result<Self, Error> {
        statements.fetch_add(2, Ordering::Relaxed);
        conn.batch("BEGIN")?;
        Ok(Self { conn, done: false })
    }

    pub(super) fn commit(mut self) -> Result<(), Error> {
        self.done = true;
        self.conn.batch("COMMIT")
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Nothing to report to: the caller already has its error (or is unwinding). A
            // connection that cannot even roll back fails its next statement instead.
            let _ = self.conn.batch("ROLLBACK");
        }
    }
}

/// Connect with TLS when there is a connector (as the config's mode says), else without.
fn connect(config: &Config, tls: Option<MakeRustlsConnect>) -> Result<Client, postgres::Error> {
    match tls {
        Some(tls) => config.connect(tls),
        None => config.connect(NoTls),
    }
}

/// The connection's thread: answer requests until every sender is dropped.
fn serve(mut client: Client, inbox: &mpsc::Receiver<Request>) {
    // Prepared statements by text and parameter types: one round trip fewer per call.
    let mut prepared: HashMap<(String, Vec<Type>), Statement> = HashMap::new();
    while let Ok(Request { op, reply }) = inbox.recv() {
        let answer = match op {
            Op::Batch(sql) => client
                .batch_execute(&sql)
                .map(|()| Reply::Done)
                .map_err(Error::Postgres),
            Op::Execute(sql, params) => statement(&mut client, &mut prepared, &sql, &params)
                .and_then(|stmt| {
                    client
                        .execute(&stmt, &refs(&params))
                        .map_err(Error::Postgres)
                })
                .map(Reply::Count),
            Op::Query(sql, params) => statement(&mut client, &mut prepared, &sql, &params)
                .and_then(|stmt| {
                    let rows = client
                        .query(&stmt, &refs(&params))
                        .map_err(Error::Postgres)?;
                    convert(&stmt, &rows)
                })
                .map(Reply::Rows),
        };
        // The caller may have gone (it panicked); the next request is still served.
        let _ = reply.send(answer);
    }
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// The statement for `sql` with these parameters' types, prepared once. Typing each
/// parameter from its value lets `?1 + ?2` work, which PostgreSQL cannot type from the text;
/// a NULL is left for the server to infer.
fn statement(
    client: &mut Client,
    prepared: &mut HashMap<(String, Vec<Type>), Statement>,
    sql: &str,
    params: &[Value],
) -> Result<Statement, Error> {
    let types: Vec<Type> = params
        .iter()
        .map(|p| match p {
            Value::Null => Type::UNKNOWN,
            Value::Int(_) => Type::INT8,
            Value::Text(_) => Type::TEXT,
            Value::Blob(_) => Type::BYTEA,
        })
        .collect();
    let key = (sql.to_owned(), types);
    if let Some(stmt) = prepared.get(&key) {
        return Ok(stmt.clone());
    }
    let stmt = client
        .prepare_typed(&super::numbered_to_dollar(sql), &key.1)
        .map_err(Error::Postgres)?;
    prepared.insert(key, stmt.clone());
    Ok(stmt)
}

fn convert(stmt: &Statement, rows: &[postgres::Row]) -> Result<Vec<Row>, Error> {
    let columns: std::sync::Arc<[String]> =
        stmt.columns().iter().map(|c| c.name().to_owned()).collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut values = Vec::with_capacity(columns.len());
        for (i, c) in stmt.columns().iter().enumerate() {
            let ty = c.type_();
            let v = if *ty == Type::INT8 {
                r.try_get::<_, Option<i64>>(i).map(Value::from)
            } else if *ty == Type::INT4 {
                r.try_get::<_, Option<i32>>(i)
                    .map(|v| Value::from(v.map(i64::from)))
            } else if *ty == Type::INT2 {
                r.try_get::<_, Option<i16>>(i)
                    .map(|v| Value::from(v.map(i64::from)))
            } else if *ty == Type::BOOL {
                r.try_get::<_, Option<bool>>(i)
                    .map(|v| Value::from(v.map(i64::from)))
            } else if [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(ty) {
                r.try_get::<_, Option<String>>(i).map(Value::from)
            } else if *ty == Type::BYTEA {
                r.try_get::<_, Option<Vec<u8>>>(i).map(Value::from)
            } else {
                return Err(Error::Unsupported {
                    column: c.name().to_owned(),
                    ty: ty.to_string(),
                });
            };
            values.push(v.map_err(Error::Postgres)?);
        }
        out.push(Row {
            columns: std::sync::Arc::clone(&columns),
            values,
        });
    }
    Ok(out)
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) if *ty == Type::INT8 => i.to_sql(ty, out),
            Value::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Value::Int(i) if *ty == Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
            Value::Int(i) if *ty == Type::BOOL => (*i != 0).to_sql(ty, out),
            Value::Int(i) => Err(format!("the integer {i} cannot be sent as {ty}").into()),
            Value::Text(s) => s.as_str().to_sql_checked(ty, out),
            Value::Blob(b) => b.as_slice().to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Each variant checks the type in `to_sql`: a NULL goes anywhere.
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_names_the_server_but_never_the_password() {
        // Port 1 on loopback: nothing listens there.
        let url = "postgres://ledgerlink:s3cr3t-pw@127.0.0.1:1/books";
        let err = Connection::open(url).expect_err("refused");
        let text = err.to_string();
        assert!(
            text.starts_with(
                "could not connect to PostgreSQL at ledgerlink@127.0.0.1:1/books: error connecting to server: "
            ),
            "{text}"
        );
        assert!(!text.contains("s3cr3t-pw"), "{text}");
        assert!(!format!("{err:?}").contains("s3cr3t-pw"), "{err:?}");
    }

    #[test]
    fn an_unreadable_url_is_shown_without_its_password() {
        let err =
            Connection::open("postgres://ann:hunter2@db.example:notaport/x").expect_err("bad port");
        let text = err.to_string();
        assert!(
            text.starts_with("the PostgreSQL URL postgres://ann:***@db.example:notaport/x could not be read: invalid connection string"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }
}
