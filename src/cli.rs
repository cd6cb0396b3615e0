//! `cli`: the command line, turned into calls of the pipeline's stages. Parsing and validation of
//! arguments live here; each command is a small function; `main.rs` only calls [`main`].

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::diag::{self, Paint};
use crate::manifest::{self, LoadOptions};

/// Configuration as code for Auth0 Management API v1 tenants.
#[derive(Debug, Parser)]
#[command(name = "a0ctl", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More output on stderr (-v: retries and calls, -vv: debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn paint(self, stderr: bool) -> Paint {
        Paint(match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => diag::color_enabled(stderr),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests offline: YAML, schema, names, variables, files and rule scripts.
    Validate {
        /// Manifest files or directories (every *.yaml/*.yml directly inside).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print the manifest JSON Schema.
    Schema {
        /// Write it to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Run the command line; the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let paint = cli.color.paint(true);
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprint!("{}", diag::render_error(&err, paint));
            ExitCode::from(diag::exit_code(&err))
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Validate { paths } => validate(&paths),
        Command::Schema { out } => schema(out),
    }
}

fn validate(paths: &[PathBuf]) -> Result<ExitCode> {
    let desired = manifest::load(paths, &LoadOptions::from_process())?;
    println!("ok: {}", desired.summary());
    Ok(ExitCode::SUCCESS)
}

fn schema(out: Option<PathBuf>) -> Result<ExitCode> {
    let text = crate::schema::render();
    match out {
        Some(path) => std::fs::write(&path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
