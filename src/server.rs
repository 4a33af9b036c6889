//! The server: builds the state, binds the listener, runs the accept loop and
//! drains on shutdown.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, body::Body, extract::ConnectInfo};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::{Layer, ServiceExt};
use tower_http::normalize_path::NormalizePathLayer;

use crate::{
    app::router,
    auth::{password::Passwords, tokens::TokenKeys},
    config::Config,
    db,
    domain::{Ctx, mail::MailSettings},
    error::BoxError,
    mail::Mailer,
    secret,
    state::AppState,
    throttle::Throttle,
};

/// A configured server bound to its address, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects to the database, migrates it (unless disabled), loads the
    /// secret and binds the listener.
    pub async fn build(mut config: Config) -> Result<Self, BoxError> {
        // Bound first, so that `BIND=…:0` links in mails name the real port.
        let listener = listen(config.bind)?;
        config.bind = listener.local_addr()?;
        let state = build_state(config).await?;
        if state.config.migrate_on_start {
            db::migrate(&state.domain.db, &state.config).await?;
        }
        // The outbox's worker starts once the tables exist.
        let domain = &state.domain;
        Mailer::new(domain.db.clone(), &state.config)?
            .spawn(domain.mail.wake.clone(), domain.bus.closing());
        let router = router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.state.config.bind)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Trailing slashes are trimmed before routing: every route answers with
        // and without one, without a redirect.
        let app = NormalizePathLayer::trim_trailing_slash().layer(self.router);
        let mut http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        http.http1()
            .timer(TokioTimer::new())
            // Slow clients: the headers must arrive within 10 s, and fit in 64 KiB.
            .header_read_timeout(Duration::from_secs(10))
            .max_buf_size(64 * 1024);
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off briefly.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let app = app.clone();
            let service = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    app.clone().oneshot(req.map(Body::new))
                },
            );
            let conn = http.serve_connection_with_upgrades(TokioIo::new(stream), service);
            let conn = graceful.watch(conn.into_owned());
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
        // Live feeds (SSE streams, WebSockets) end with a close frame; then
        // in-flight requests get up to 30 s to finish.
        self.state.domain.bus.close();
        if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("some connections were still open after 30 s; closing them");
        }
        Ok(())
    }
}

/// Binds with a deep accept queue: a mass reconnect (thousands of subscribers
/// after a restart) would overflow the default of 128 and stall on SYN retries.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// The shared state: database pool, token keys, hashing pool, live feed.
pub async fn build_state(config: Config) -> Result<AppState, BoxError> {
    let mut db = db::connect(&config).await?;
    let sql_statements = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sql_statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    let secret = secret::load_or_create(&config)?;
    let tokens = TokenKeys::new(secret.as_bytes(), config.access_ttl(), config.refresh_ttl());
    let domain = Ctx::new(
        db,
        tokens,
        Passwords::start(config.hash_threads, 256),
        Throttle::new(&config),
        MailSettings::new(&config),
    );
    Ok(AppState {
        domain,
        ws_slots: Arc::new(tokio::sync::Semaphore::new(config.ws_max_connections)),
        config: Arc::new(config),
        sql_statements,
    })
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; draining in-flight requests");
}
