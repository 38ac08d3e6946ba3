//! Switchboard's provider simulator: the SECRY, Secton, airforce, Siraya and Gemini-proxy
//! APIs as their documents describe them, with deterministic replies, faults on demand,
//! a request log and CORS. See `docs/simulator.md`.

pub mod auth;
pub mod chat;
pub mod config;
pub mod cors;
pub mod faults;
pub mod hash;
pub mod log;
pub mod media;
pub mod openai_json;
pub mod provider;
pub mod providers;
pub mod state;
pub mod stores;
pub mod wire;

use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::{Config, Keys};
use provider::plain_error;
use state::AppState;

/// The whole application: every provider prefix, `/__sim/*`, faults, log and CORS.
pub fn app(config: Config) -> Router {
    let state = AppState::new(config);
    Router::new()
        .nest("/secry/v1", providers::secry::router(state.clone()))
        .nest("/secton/v1", providers::secton::router(state.clone()))
        .nest("/airforce", providers::airforce::router(state.clone()))
        .nest("/siraya/v1", providers::siraya::router(state.clone()))
        .nest(
            "/gemini-proxy/api/v1",
            providers::gemini::router(state.clone()),
        )
        .route("/__sim/requests", get(log::list).delete(log::clear))
        .route(
            "/__sim/faults",
            axum::routing::post(faults::arm).delete(faults::disarm),
        )
        .route("/__sim/health", get(|| async { "ok" }))
        .fallback(|| async { plain_error(StatusCode::NOT_FOUND, "Unknown path: no provider here") })
        .layer(from_fn_with_state(state.clone(), faults::middleware))
        .layer(from_fn_with_state(state.clone(), log::middleware))
        .layer(DefaultBodyLimit::disable())
        .layer(cors::layer())
        .with_state(state)
}

/// A running simulator.
pub struct Server {
    /// The bound address.
    pub addr: SocketAddr,
    /// The serving task; abort it to stop the server.
    pub handle: JoinHandle<io::Result<()>>,
}

impl Server {
    /// `http://ADDR`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Binds `config.host:config.port` and serves in a background task.
pub async fn serve(config: Config) -> io::Result<Server> {
    let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
    let addr = listener.local_addr()?;
    let app = app(config);
    // No Nagle delay: stream events and one-byte writes leave as soon as they are written.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let handle = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Server { addr, handle })
}
