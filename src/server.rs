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
    error::{StartupError, io_cause},
    http::metrics,
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
    /// The `/metrics` listener and its router, with `METRICS_BIND`.
    metrics: Option<(TcpListener, Router)>,
}

impl Application {
    /// Connects to the database, migrates it (unless disabled), loads the
    /// secret and binds the listener. A failure names the setting at fault.
    pub async fn build(mut config: Config) -> Result<Self, StartupError> {
        // Bound first, so that `BIND=…:0` links in mails name the real port.
        let bind = config.bind;
        let unusable = |e: std::io::Error| StartupError::setting_value("BIND", bind, io_cause(&e));
        let listener = listen(bind).map_err(unusable)?;
        config.bind = listener.local_addr().map_err(unusable)?;
        let metrics_listener = match config.metrics_bind {
            Some(addr) => {
                let unusable = |e: std::io::Error| {
                    StartupError::setting_value("METRICS_BIND", addr, io_cause(&e))
                };
                let listener = listen(addr).map_err(unusable)?;
                config.metrics_bind = Some(listener.local_addr().map_err(unusable)?);
                let handle = metrics::install()
                    .map_err(|e| StartupError::setting_value("METRICS_BIND", addr, e))?;
                Some((listener, handle))
            }
            None => None,
        };
        let state = build_state(config).await?;
        if state.config.migrate_on_start {
            db::migrate(&state.domain.db, &state.config).await?;
        }
        // The outbox's worker starts once the tables exist.
        let domain = &state.domain;
        Mailer::new(domain.db.clone(), &state.config)
            .map_err(|e| StartupError::other(e.to_string()))?
            .spawn(domain.mail.wake.clone(), domain.bus.closing());
        let router = router(state.clone());
        let metrics = metrics_listener
            .map(|(listener, handle)| (listener, metrics::router(state.clone(), handle)));
        Ok(Self {
            listener,
            router,
            state,
            metrics,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.state.config.bind)
    }

    /// The address `/metrics` is served on, with `METRICS_BIND`.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // The metrics listener serves while this runs (the drain included)
        // and stops with it: dropping the set aborts its task.
        let mut background = tokio::task::JoinSet::new();
        if let Some((listener, router)) = self.metrics {
            if let Ok(addr) = listener.local_addr() {
                tracing::info!(%addr, "serving /metrics");
            }
            background.spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
        }
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
pub async fn build_state(config: Config) -> Result<AppState, StartupError> {
    let mut db = db::connect(&config).await?;
    let sql_statements = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sql_statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    let secret = secret::load_or_create(&config).map_err(|e| {
        StartupError::setting_value(
            "DATA_DIR",
            config.data_dir.display(),
            format!("cannot keep the JWT secret there: {}", io_cause(&e)),
        )
    })?;
    let tokens = TokenKeys::new(secret.as_bytes(), config.access_ttl(), config.refresh_ttl());
    let throttle = Throttle::new(&config, &db);
    let domain = Ctx::new(
        db,
        tokens,
        Passwords::start(config.hash_threads, 256),
        throttle,
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
