//! The `spider-web` binary: thin command-line front of the library.

use std::io::IsTerminal;

use clap::{Parser, Subcommand};
use spider_web::{
    Application, BoxError,
    config::{Config, LogFormat},
};
use tracing_subscriber::fmt::writer::BoxMakeWriter;

/// mimalloc instead of glibc's malloc: a request allocates many small
/// short-lived objects (rows, JSON, GraphQL values), and glibc spent ~20 % of
/// the server's CPU in malloc/free under bench S6 (bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "spider-web",
    version,
    about = "Spider Web: chat-box / info website backend (GraphQL + REST)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    ExportSchema,
    /// Create a staff user. The password comes from ADMIN_PASSWORD, else a prompt.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
}

/// Logs to stderr. The server writes through a background thread
/// (`tracing-appender`): a request never waits on the write, and lines
/// logged together leave in one write. It keeps up to 128k lines
/// queued and drops lines beyond that rather than slow requests down; the
/// returned guard flushes the queue when dropped, at the end of `main`.
fn init_tracing(
    format: LogFormat,
    background: bool,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm_migration=warn")
    });
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) = if background {
        let (w, g) = tracing_appender::non_blocking(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
        (BoxMakeWriter::new(w), Some(g))
    } else {
        (BoxMakeWriter::new(std::io::stderr), None)
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.with_ansi(ansi).init(),
    }
    guard
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let cli = Cli::parse();
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::ExportSchema => {
            print!("{}", spider_web::graphql::sdl());
        }
        Command::Migrate => {
            init_tracing(config.log_format, false);
            let db = spider_web::db::connect(&config).await?;
            spider_web::db::migrate(&db, &config).await?;
            tracing::info!("migrations applied");
        }
        Command::CreateAdmin { username, email } => {
            init_tracing(config.log_format, false);
            let password = match std::env::var("ADMIN_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => rpassword::prompt_password("Password for the new admin: ")?,
            };
            let state = spider_web::build_state(config).await?;
            spider_web::db::migrate(&state.domain.db, &state.config).await?;
            let created = spider_web::domain::accounts::create_admin(
                &state.domain,
                &username,
                &email,
                &password,
            )
            .await;
            match created {
                Ok(user) => println!("created staff user {} ({})", user.username, user.id),
                Err(spider_web::error::AppError::Validation(errors)) => {
                    eprintln!("cannot create admin: {}", serde_json::to_string(&errors)?);
                    std::process::exit(2);
                }
                Err(other) => {
                    eprintln!("cannot create admin: {}", other.detail());
                    std::process::exit(1);
                }
            }
        }
        Command::Serve => {
            let _log = init_tracing(config.log_format, true);
            let app = Application::build(config).await?;
            tracing::info!(addr = %app.local_addr(), "listening");
            app.run(spider_web::shutdown_signal()).await?;
        }
    }
    Ok(())
}
