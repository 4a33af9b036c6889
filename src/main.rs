//! The `spider-web` binary: thin command-line front of the library.

use std::io::IsTerminal;

use clap::{Parser, Subcommand};
use spider_web::{
    Application, BoxError,
    config::{Config, LogFormat},
};

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

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm_migration=warn")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
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
            init_tracing(config.log_format);
            let db = spider_web::db::connect(&config).await?;
            spider_web::db::migrate(&db, &config).await?;
            tracing::info!("migrations applied");
        }
        Command::CreateAdmin { username, email } => {
            init_tracing(config.log_format);
            let password = match std::env::var("ADMIN_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => rpassword::prompt_password("Password for the new admin: ")?,
            };
            let state = spider_web::build_state(config).await?;
            spider_web::db::migrate(&state.db, &state.config).await?;
            match spider_web::domain::auth::create_admin(&state, &username, &email, &password).await
            {
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
            init_tracing(config.log_format);
            let app = Application::build(config).await?;
            tracing::info!(addr = %app.local_addr(), "listening");
            app.run(spider_web::shutdown_signal()).await?;
        }
    }
    Ok(())
}
