//! The `spider-web` binary: thin command-line front of the library.

use std::{io::IsTerminal, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use spider_web::{
    Application, BoxError,
    config::{Config, LogFormat},
    db::backup::Backup,
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
    /// Copy the SQLite database, while it serves, to FILE (which must not
    /// exist). On PostgreSQL: print the pg_dump command and exit with code 3.
    Backup {
        /// Where the copy goes; its folder must exist.
        file: PathBuf,
    },
    /// Create a staff user. The password comes from ADMIN_PASSWORD, else a prompt.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
}

/// Exit code of `backup` on PostgreSQL: nothing was written, the printed
/// `pg_dump` command does the job (distinct from 1, a failure, and 2, a bad
/// command line or setting).
const NOT_DONE_HERE: u8 = 3;

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
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return malformed(e),
    };
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            // The one line an operator reads: the setting at fault and why.
            let line = e.to_string();
            eprintln!("spider-web: {}", line.lines().collect::<Vec<_>>().join(" "));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, BoxError> {
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
        Command::Backup { file } => {
            init_tracing(config.log_format, false);
            match spider_web::db::backup::backup(&config, &file).await? {
                Backup::Written { path, bytes } => {
                    println!("backed up to {} ({bytes} bytes)", path.display());
                }
                Backup::UsePgDump { dump, restore } => {
                    println!("{dump}");
                    println!("{restore}");
                    eprintln!(
                        "spider-web: backup: PostgreSQL is backed up with pg_dump, not here; \
                         run the first line above (the second restores into an empty database)"
                    );
                    return Ok(ExitCode::from(NOT_DONE_HERE));
                }
            }
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
                    return Ok(ExitCode::from(2));
                }
                Err(other) => {
                    eprintln!("cannot create admin: {}", other.detail());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Serve => {
            // Dropped on return: queued log lines are written before any error line.
            let _log = init_tracing(config.log_format, true);
            let app = Application::build(config).await?;
            tracing::info!(addr = %app.local_addr(), "listening");
            app.run(spider_web::shutdown_signal()).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A command line or setting clap refuses, in one line naming the setting by
/// its environment variable: `spider-web: BIND nowhere: invalid socket address
/// syntax`, exit code 2. Help and version are printed as clap prints them.
fn malformed(e: clap::Error) -> ExitCode {
    use clap::{
        CommandFactory,
        error::{ContextKind, ContextValue, ErrorKind},
    };
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
    }
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let line = match (
        text(ContextKind::InvalidArg),
        text(ContextKind::InvalidValue),
    ) {
        (Some(flag), Some(value)) => {
            let mut command = Cli::command();
            command.build();
            let arg = command.get_arguments().find(|a| a.to_string() == flag);
            let setting = arg
                .and_then(|a| a.get_env())
                .map(|env| env.to_string_lossy().into_owned())
                .unwrap_or(flag);
            let cause = match (
                std::error::Error::source(&e),
                e.get(ContextKind::ValidValue),
            ) {
                (Some(cause), _) => cause.to_string(),
                (None, Some(ContextValue::Strings(valid))) => {
                    format!("expected one of {}", valid.join(", "))
                }
                _ => "not a valid value".to_string(),
            };
            match arg.is_some_and(|a| a.is_hide_env_values_set()) {
                true => format!("{setting}: {cause}"),
                false => format!("{setting} {:?}: {cause}", spider_web::db::redact(&value)),
            }
        }
        _ => {
            // clap's first paragraph (the error and what it lists), on one line.
            let rendered = e.render().to_string();
            let words: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect();
            format!(
                "{} (see spider-web --help)",
                words.join(" ").trim_start_matches("error: ")
            )
        }
    };
    eprintln!("spider-web: {line}");
    ExitCode::from(2)
}
