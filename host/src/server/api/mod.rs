//! The REST API under `/api/v1`: the routes, their layers (request ids and logs, the
//! first-user message, sign-in), cursor pagination, and the OpenAPI 3.1 document generated
//! from the handlers' annotations (`/api/v1/openapi.json`).

pub mod administer;
pub mod connect;
pub mod connections;
pub mod connectors;
pub mod home;
pub mod home_records;
pub mod jobs;
pub mod plans;
pub mod reviews;
pub mod runs;
pub mod schedules;
pub mod support;
pub mod transfers;

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Request;
use axum::http::{HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use base64::Engine as _;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi as _;

use super::problem::{ApiResult, Problem, ProblemBody};
use super::{AppState, guard, signin};

/// Routes that need no caller: health, the API's description, and sign-in itself.
const OPEN: [(Method, &str); 4] = [
    (Method::GET, "/api/v1/health"),
    (Method::GET, "/api/v1/openapi.json"),
    (Method::POST, "/api/v1/session"),
    // The vendor's redirect: the OAuth `state` bound at `.../connect` is the proof.
    (Method::GET, connect::CALLBACK_PATH),
];

/// The whole application.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/openapi.json", get(openapi))
        .route(
            "/api/v1/session",
            post(signin::sign_in)
                .get(signin::whoami)
                .delete(signin::sign_out),
        )
        .route(
            "/api/v1/connections",
            get(connections::list).post(administer::add),
        )
        .route(
            "/api/v1/connections/{name}",
            get(connections::show).delete(administer::remove),
        )
        .route("/api/v1/connections/{name}/key", put(administer::set_key))
        .route(
            "/api/v1/connections/{name}/removal",
            get(administer::removal),
        )
        .route("/api/v1/connections/{name}/connect", get(connect::begin))
        .route(
            "/api/v1/connections/{name}/tenants",
            get(connect::tenants).put(connect::choose),
        )
        .route(connect::CALLBACK_PATH, get(connect::callback))
        .route(
            "/api/v1/connectors",
            get(connectors::list).post(connectors::install).layer(
                axum::extract::DefaultBodyLimit::max(connectors::MAX_UPLOAD_BYTES),
            ),
        )
        .route("/api/v1/connectors/{name}", get(connectors::inspect))
        .route(
            "/api/v1/connections/{name}/settings",
            get(connections::settings).patch(connections::change_settings),
        )
        .route("/api/v1/connections/{name}/check", post(connections::check))
        .route(
            "/api/v1/connections/{name}/compare",
            post(transfers::compare),
        )
        .route(
            "/api/v1/connections/{name}/push-invoices",
            post(transfers::push_invoices),
        )
        .route(
            "/api/v1/schedules",
            get(schedules::list).post(schedules::create),
        )
        .route(
            "/api/v1/schedules/{id}",
            patch(schedules::change).delete(schedules::remove),
        )
        .route("/api/v1/home", get(home::show))
        .route("/api/v1/home/import", post(home::import))
        .route("/api/v1/home/export", get(home::export))
        .route("/api/v1/home/jobs", get(home_records::jobs))
        .route(
            "/api/v1/home/contract-invoices",
            get(home_records::contract_invoices),
        )
        .route("/api/v1/home/{record}/{id}/flags", put(home::flags))
        .route("/api/v1/plans/{id}", get(plans::show))
        .route("/api/v1/plans/{id}/apply", post(transfers::apply))
        .route("/api/v1/jobs", get(jobs::list))
        .route("/api/v1/jobs/{id}", get(jobs::show))
        .route("/api/v1/jobs/{id}/events", get(jobs::events))
        .route("/api/v1/runs", get(runs::list))
        .route("/api/v1/runs/{id}", get(runs::show))
        .route("/api/v1/runs/{id}/items", get(runs::items))
        .route("/api/v1/runs/{id}/export", get(runs::export))
        .route("/api/v1/runs/{id}/rollback", post(transfers::rollback))
        .route("/api/v1/audit", get(runs::audit))
        .route("/api/v1/reviews", get(reviews::list))
        .route("/api/v1/reviews/{connection}/{key}", put(reviews::decide))
        .route("/api/v1/support", post(support::grant).get(support::list))
        .route("/api/v1/support/{id}", delete(support::revoke))
        // An unknown path: the layers below make it the first-user message or a problem+json
        // 404 (set here, so the web admin's routes merged below do not take it over).
        .fallback(|| async { axum::http::StatusCode::NOT_FOUND })
        .route_layer(middleware::from_fn_with_state(state.clone(), signed_in))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::first_user,
        ))
        .with_state(state.clone())
        .layer(middleware::from_fn(super::problem::every_error_a_problem))
        // The web admin's pages and assets (outside `/api/v1`, their own guard and headers).
        .merge(super::web::router(state));
    api.layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            // The method and path only: headers (cookies, tokens) and query strings are never
            // logged.
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|r| r.header_value().to_str().ok())
                        .unwrap_or("-")
                        .to_owned();
                    tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(Sequential::default()))
}

/// Everything but [`OPEN`] needs a caller.
async fn signed_in(state: axum::extract::State<AppState>, req: Request, next: Next) -> Response {
    let open = OPEN
        .iter()
        .any(|(m, p)| req.method() == m && req.uri().path() == *p);
    if open {
        next.run(req).await
    } else {
        guard::authenticate(state, req, next).await
    }
}

/// Request ids: this process's start time and a counter, so ids from two processes on one
/// data folder do not collide in a shared log.
#[derive(Debug, Clone, Default)]
struct Sequential {
    next: std::sync::Arc<AtomicU64>,
}

impl MakeRequestId for Sequential {
    fn make_request_id<B>(&mut self, _req: &axum::http::Request<B>) -> Option<RequestId> {
        static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let start = START.get_or_init(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{start:x}-{n}"))
            .ok()
            .map(RequestId::new)
    }
}

/// The server's health.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// "ok".
    pub status: String,
    /// ledgerlink's version.
    pub version: String,
}

/// Whether the server is up (no sign-in needed).
#[utoipa::path(get, path = "/api/v1/health", tag = "server",
    responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// This API's OpenAPI 3.1 description, generated from the handlers.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "server",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

/// A page of a list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// At most this many items (1–500, default 100).
    pub limit: Option<u32>,
    /// Where the previous page ended (its `next_cursor`).
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The limit, clamped.
    pub fn limit(&self) -> usize {
        self.limit.map_or(100, |l| l.clamp(1, 500) as usize)
    }

    /// The position the cursor names (`None` on the first page).
    pub fn position(&self) -> ApiResult<Option<i64>> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }
}

/// An opaque cursor for `position` (an id or an index, depending on the list).
pub fn encode_cursor(position: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{position}"))
}

fn decode_cursor(cursor: &str) -> ApiResult<i64> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("v1:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| {
            Problem::bad_request("the cursor is not one this API gave out; start again without one")
        })
}

/// `items[from..]`, at most `limit`, and the cursor of what follows (index-based, for lists
/// the engine returns whole).
pub fn slice_page<T: Clone>(items: &[T], query: &PageQuery) -> ApiResult<(Vec<T>, Option<String>)> {
    let from = usize::try_from(query.position()?.unwrap_or(0)).unwrap_or(0);
    let to = from.saturating_add(query.limit()).min(items.len());
    let page = items.get(from..to).map(<[T]>::to_vec).unwrap_or_default();
    let next = (to < items.len()).then(|| encode_cursor(i64::try_from(to).unwrap_or(i64::MAX)));
    Ok((page, next))
}

/// The API's description.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "ledgerlink", description = "Move customers, job invoices and contract invoices between Tracker Pro and accounting systems."),
    paths(
        health, openapi,
        signin::sign_in, signin::whoami, signin::sign_out,
        connections::list, connections::show, connections::settings, connections::change_settings, connections::check,
        administer::add, administer::remove, administer::removal, administer::set_key,
        connect::begin, connect::callback, connect::tenants, connect::choose,
        connectors::list, connectors::inspect, connectors::install,
        home::show, home::import, home::export, home::flags,
        home_records::jobs, home_records::contract_invoices,
        transfers::compare, plans::show, transfers::apply, transfers::rollback, transfers::push_invoices,
        schedules::list, schedules::create, schedules::change, schedules::remove,
        jobs::list, jobs::show, jobs::events,
        runs::list, runs::show, runs::items, runs::export, runs::audit,
        reviews::list, reviews::decide,
        support::grant, support::list, support::revoke,
    ),
    components(schemas(ProblemBody)),
    modifiers(&Security),
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    /// The security schemes, and on every operation the answers its guards and extractors
    /// give before the handler runs, and the one any failure can give: 503 until a user
    /// exists; 500; 400 where it takes a path, query or body, 415 and 422 where it takes a
    /// body (`problem::every_error_a_problem` makes axum's rejections problems); 401 without a
    /// caller and 403 for a cookie-borne change without its CSRF token (all but the open
    /// routes).
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(guard::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ProblemBody")))
                        .build(),
                )
                .build()
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            let operations = [
                (Method::GET, &mut item.get),
                (Method::POST, &mut item.post),
                (Method::PUT, &mut item.put),
                (Method::PATCH, &mut item.patch),
                (Method::DELETE, &mut item.delete),
            ];
            for (method, operation) in operations {
                let Some(op) = operation.as_mut() else {
                    continue;
                };
                let answers = &mut op.responses.responses;
                answers.entry("503".to_owned()).or_insert_with(|| {
                    problem("No user exists yet; says how to create one").into()
                });
                answers.entry("500".to_owned()).or_insert_with(|| {
                    problem("The store, the vault or a connector failed; the detail says which")
                        .into()
                });
                let takes_input = op.request_body.is_some()
                    || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                if takes_input {
                    answers.entry("400".to_owned()).or_insert_with(|| {
                        problem("A malformed path, query or body; the detail says which").into()
                    });
                }
                if op.request_body.is_some() {
                    answers.entry("415".to_owned()).or_insert_with(|| {
                        problem("The body is not of the content type the endpoint takes").into()
                    });
                    answers.entry("422".to_owned()).or_insert_with(|| {
                        problem("The body is well-formed but wrong; the detail says what").into()
                    });
                }
                if OPEN.iter().any(|(m, p)| *m == method && p == path) {
                    continue;
                }
                answers
                    .entry("401".to_owned())
                    .or_insert_with(|| problem("No session or API token").into());
                answers.entry("403".to_owned()).or_insert_with(|| {
                    problem(
                        "Not allowed for this role, or a session's change without its CSRF token",
                    )
                    .into()
                });
                op.security = Some(vec![
                    SecurityRequirement::new("session", Vec::<String>::new()),
                    SecurityRequirement::new("token", Vec::<String>::new()),
                ]);
            }
        }
    }
}
