//! `cli`: the command line, turned into calls of the pipeline's stages. Parsing and validation of
//! arguments live here; each command is a small function; `main.rs` only calls [`main`].

use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::{Error, Result, io};
use clap::{Parser, Subcommand, ValueEnum};

use crate::commands::{self, ApplyArgs, Gates, Out, PlanArgs};
use crate::diag::{self, Paint};
use crate::manifest::{self, LoadOptions, Vars};
use crate::render::Format;
use crate::scope::Pattern;
use crate::tenant::TenantArgs;

/// Configuration as code for Auth0 Management API v1 tenants.
#[derive(Debug, Parser)]
#[command(name = "a0ctl", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More output on stderr (-v: calls and retries; -vv: also request and response metadata).
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

/// Which of the tenant's resources a plan or apply looks at, beyond the manifests' own `ignore:`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SelectArgs {
    /// Leave resources matching PATTERN alone this run (KIND or KIND/NAME, `*` globs; repeatable).
    #[arg(long, value_name = "PATTERN", value_parser = Pattern::parse)]
    pub ignore: Vec<Pattern>,
    /// Plan only KIND/NAME (repeatable; `*` globs) and what it needs; the plan says it is partial.
    #[arg(long, value_name = "KIND/NAME", value_parser = Pattern::parse)]
    pub target: Vec<Pattern>,
}

/// Values for `${NAME}` that are not secrets (shown in plans), on every command that reads
/// manifests.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VarArgs {
    /// Set ${NAME} to VALUE; shown in plans (repeatable; wins over var files and the environment).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// A YAML or JSON mapping of names to values (strings, numbers, booleans, lists, objects);
    /// shown in plans (repeatable; a later file wins; the environment comes last).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

impl VarArgs {
    fn load(&self, extra_files: &[PathBuf]) -> Result<Vars> {
        let files: Vec<PathBuf> = self.var_files.iter().chain(extra_files).cloned().collect();
        Ok(Vars::load(&files, &self.vars)?)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests offline: YAML, schema, names, variables, files and rule scripts.
    Validate {
        /// Manifest files or directories (every *.yaml/*.yml directly inside).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Do not require the ${VAR}s to be set (check everything else; for CI without secrets).
        #[arg(long)]
        allow_unset: bool,
        /// Patterns left alone (as `--ignore` of plan): a manifest entry they match is an error.
        #[arg(long, value_name = "PATTERN", value_parser = Pattern::parse)]
        ignore: Vec<Pattern>,
        #[command(flatten)]
        vars: VarArgs,
    },
    /// Print the manifest JSON Schema.
    Schema {
        /// Write it to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Show what the tenant would have to change to match the manifests.
    Plan(PlanCommand),
    /// Make the tenant match the manifests (or apply a saved plan).
    Apply(ApplyCommand),
    /// Compare two manifest trees offline (no tenant, no credentials).
    Diff(DiffCommand),
    /// Write the live tenant as manifests.
    Export(ExportCommand),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Run a local Management API server, v1 and v2 (a tenant you can break).
    Emulator(EmulatorArgs),
    /// Run the rules on the fixture logins of *.test.yaml files, offline.
    Test(TestArgs),
    /// Rewrite a tree's rules as post-login actions, proven by the rules' own cases.
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Break the apply lease with this id (from apply's error), when its apply is known to be
    /// gone; any other lease is left alone.
    ForceUnlock(ForceUnlockCommand),
}

/// The arguments of `force-unlock`.
#[derive(Debug, clap::Args)]
pub struct ForceUnlockCommand {
    /// The lease's id, as apply's error names it (`lease-…`).
    pub id: String,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// The arguments of `plan`.
#[derive(Debug, clap::Args)]
pub struct PlanCommand {
    /// Manifest files or directories.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format (stdout).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 2 when there are changes, 0 when there are none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// A drift report for on-call: --detailed-exitcode, with each update read as "tenant has
    /// X, manifests say Y".
    #[arg(long)]
    pub drift: bool,
    /// Also save the plan (without secret values) for `apply --plan`.
    #[arg(long, value_name = "PLANFILE")]
    pub out: Option<PathBuf>,
    /// Plan deletes of resources the manifests do not declare.
    #[arg(long)]
    pub allow_delete: bool,
    /// Allow replacements (a changed connection strategy: DELETE then POST, losing its users).
    #[arg(long)]
    pub allow_replace: bool,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Send every write-only value again: signingKey, the email provider's credentials (the API never returns them).
    #[arg(long)]
    pub rotate_signing_keys: bool,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// The arguments of `apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyCommand {
    /// Manifest files or directories.
    #[arg(required_unless_present = "plan", conflicts_with = "plan")]
    pub paths: Vec<PathBuf>,
    /// Apply this saved plan (from `plan --out`) instead of planning again.
    #[arg(long, value_name = "PLANFILE")]
    pub plan: Option<PathBuf>,
    /// Apply even past the deletion gate.
    #[arg(long)]
    pub force: bool,
    /// Deletion gate: refuse to delete or replace more than PCT% of a kind's resources.
    #[arg(long, value_name = "PCT", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub delete_threshold: u32,
    /// The deletion gate applies to kinds with at least N resources in the tenant.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub delete_threshold_min: usize,
    /// Do not ask for confirmation (required without a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Delete resources the manifests do not declare (replacements need --allow-replace).
    #[arg(long)]
    pub allow_delete: bool,
    /// Allow replacements (a changed connection strategy: DELETE then POST, losing its users).
    #[arg(long)]
    pub allow_replace: bool,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Send every write-only value again: signingKey, the email provider's credentials (the API never returns them).
    #[arg(long)]
    pub rotate_signing_keys: bool,
    /// Calls in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
    /// How long to wait while another apply holds the tenant (e.g. 30s, 5m; 0: fail at once; at most 24h).
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_lock_timeout)]
    pub lock_timeout: std::time::Duration,
    /// Output format (stdout).
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// The arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct DiffCommand {
    /// The old manifests (a file or directory).
    pub old: PathBuf,
    /// The new manifests (a file or directory).
    pub new: PathBuf,
    /// Output format (stdout).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Show resources removed from NEW as deletes rather than unmanaged.
    #[arg(long)]
    pub allow_delete: bool,
    #[command(flatten)]
    pub vars: VarArgs,
    /// A var file for OLD only (after the --var-files both sides take).
    #[arg(long, value_name = "FILE")]
    pub old_var_file: Vec<PathBuf>,
    /// A var file for NEW only (after the --var-files both sides take).
    #[arg(long, value_name = "FILE")]
    pub new_var_file: Vec<PathBuf>,
}

/// The arguments of `export`.
#[derive(Debug, clap::Args)]
pub struct ExportCommand {
    /// The directory to write (must be empty unless --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overwrite the files export writes in a non-empty directory.
    #[arg(long)]
    pub force: bool,
    /// A value equal to a variable's (a whole string) is written as `${NAME}`.
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// What `a0ctl migrate` rewrites.
#[derive(Debug, clap::Subcommand)]
pub enum MigrateCommand {
    /// Each rule of a tree as a post-login action (bound in the rules' order), its cases as
    /// action cases run against both; the rules kept, disabled. Exit 0 when all translated
    /// and every case agrees, 2 when something needs a person, 1 on error.
    Rules(MigrateRulesArgs),
}

#[derive(Debug, clap::Args)]
pub struct MigrateRulesArgs {
    /// The directory of the manifests (and their *.test.yaml files).
    pub path: PathBuf,
    /// Where to write the migrated tree (a copy of PATH with the actions added); must be
    /// empty unless --force.
    #[arg(long, value_name = "DIR", required_unless_present = "check")]
    pub out: Option<PathBuf>,
    /// Write into a non-empty --out, replacing the files migrate writes.
    #[arg(long)]
    pub force: bool,
    /// Remove the rules (`rules: []` and their scripts) instead of disabling them.
    #[arg(long)]
    pub remove_rules: bool,
    /// Only translate and compare: write nothing.
    #[arg(long, conflicts_with = "out")]
    pub check: bool,
    /// Time a case may take (seconds, or a duration like 500ms).
    #[arg(long, value_name = "DURATION", default_value = "5", value_parser = crate::ruletest::parse_timeout)]
    pub timeout: std::time::Duration,
    /// Memory a case's JavaScript may use, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(4..=4096))]
    pub memory: u32,
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Test files, or directories (every *.test.yaml/*.test.yml directly inside); the rules
    /// come from the manifests in the same directory.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format (stdout).
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
    /// Run only the cases whose name contains TEXT (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Time a case may take (seconds, or a duration like 500ms).
    #[arg(long, value_name = "DURATION", default_value = "5", value_parser = crate::ruletest::parse_timeout)]
    pub timeout: std::time::Duration,
    /// Memory a case's JavaScript may use, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(4..=4096))]
    pub memory: u32,
    #[command(flatten)]
    pub vars: VarArgs,
}

/// Output formats of `apply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: std::net::SocketAddr,
    /// SQLite file holding the tenant; without it the tenant lives in memory.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Tenant name shown in client objects.
    #[arg(long, default_value = "local")]
    pub tenant: String,
    /// Client ID of the global client (generated on first start when absent).
    #[arg(long, requires = "client_secret")]
    pub client_id: Option<String>,
    /// Client secret of the global client.
    #[arg(long, requires = "client_id")]
    pub client_secret: Option<String>,
    /// Delay every answer by N milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Answer this share of API requests with 503 (half before handling, half after the write).
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_share)]
    pub fail_rate: f64,
    /// Answer 429 past this many requests a second.
    #[arg(long, value_name = "RPS", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Always answer 500 on this route, e.g. "POST /api/connections" (repeatable).
    #[arg(long, value_name = "ROUTE")]
    pub fail_route: Vec<String>,
    /// Seed the random choices of --fail-rate, so runs repeat.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 86_400)]
    pub token_lifetime: u64,
    /// How long an action's draft takes to build, in milliseconds (0: built at once).
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub action_build_ms: u64,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate generated for 127.0.0.1, ::1 and localhost.
    #[arg(long)]
    pub tls: bool,
    /// Where --tls writes its certificate (PEM); default: beside --state, else a temporary file.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_cert_out: Option<PathBuf>,
}

fn parse_share(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not between 0 and 1"))
    }
}

/// Run the command line; the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; a usage error is 1, since 2 means "changes".
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging(cli.verbose, cli.color.paint(true).0);
    let paint = cli.color.paint(true);
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            diag::to_stderr(&diag::render_error(&err, paint));
            ExitCode::from(diag::exit_code(&err))
        }
    }
}

/// Run the parsed command; the process exit code.
fn run(cli: Cli) -> Result<ExitCode> {
    let out = Out {
        stdout: cli.color.paint(false),
        stderr: cli.color.paint(true),
    };
    match cli.command {
        Command::Plan(args) => plan(args, out),
        Command::Apply(args) => apply(args, out),
        Command::Validate {
            paths,
            allow_unset,
            ignore,
            vars,
        } => validate(&paths, allow_unset, &ignore, &vars.load(&[])?),
        Command::Schema { out } => schema(out),
        Command::Diff(args) => diff(args, out),
        Command::Export(args) => export(args),
        Command::Completions { shell } => completions(shell),
        Command::Emulator(args) => emulator(args),
        Command::Test(args) => test_rules(args, out),
        Command::Migrate(MigrateCommand::Rules(args)) => crate::migrate::run(
            &crate::migrate::MigrateArgs {
                path: args.path,
                out: args.out,
                force: args.force,
                remove_rules: args.remove_rules,
                check: args.check,
                limits: crate::rules_runtime::Limits {
                    timeout: args.timeout,
                    memory_bytes: (args.memory as usize) << 20,
                },
            },
            out.stdout,
        ),
        Command::ForceUnlock(args) => {
            runtime()?.block_on(commands::force_unlock(args.tenant, args.id, args.yes))
        }
    }
}

/// `plan`: the plan of the manifests against the tenant, shown and optionally saved.
fn plan(args: PlanCommand, out: Out) -> Result<ExitCode> {
    let PlanCommand {
        paths,
        format,
        detailed_exitcode,
        drift,
        out: plan_out,
        allow_delete,
        allow_replace,
        select,
        rotate_signing_keys,
        vars,
        tenant,
    } = args;
    let args = PlanArgs {
        paths,
        out: plan_out,
        tenant,
        allow_delete,
        allow_replace,
        rotate_signing_keys,
        format,
        vars: vars.load(&[])?,
        ignore: select.ignore.clone(),
        targets: select.target.clone(),
    };
    runtime()?.block_on(commands::plan(args, detailed_exitcode || drift, drift, out))
}

/// `apply`: a saved plan (`--plan`), or the manifests planned again and applied.
fn apply(args: ApplyCommand, out: Out) -> Result<ExitCode> {
    let ApplyCommand {
        paths,
        plan,
        force,
        delete_threshold,
        delete_threshold_min,
        yes,
        allow_delete,
        allow_replace,
        select,
        rotate_signing_keys,
        parallelism,
        lock_timeout,
        format,
        vars,
        tenant,
    } = args;
    let format = match format {
        ApplyFormat::Text => Format::Text,
        ApplyFormat::Json => Format::Json,
    };
    let apply_args = ApplyArgs {
        yes,
        parallelism: parallelism.into(),
        lock_timeout,
        gates: Gates {
            allow_delete,
            allow_replace,
            force,
            threshold_percent: delete_threshold,
            threshold_min: delete_threshold_min,
        },
    };
    if let Some(plan) = plan {
        return runtime()?.block_on(commands::apply_saved(plan, tenant, apply_args, format, out));
    }
    let args = PlanArgs {
        paths,
        out: None,
        tenant,
        allow_delete,
        allow_replace,
        rotate_signing_keys,
        format,
        vars: vars.load(&[])?,
        ignore: select.ignore.clone(),
        targets: select.target.clone(),
    };
    runtime()?.block_on(commands::apply(args, apply_args, out))
}

/// `diff`: two manifest trees compared offline, each with its own var files.
fn diff(args: DiffCommand, out: Out) -> Result<ExitCode> {
    let old_vars = args.vars.load(&args.old_var_file)?;
    let new_vars = args.vars.load(&args.new_var_file)?;
    commands::diff_trees(
        (&[args.old], &old_vars),
        (&[args.new], &new_vars),
        args.allow_delete,
        args.format,
        out,
    )
}

/// `export`: the tenant written as manifests.
fn export(args: ExportCommand) -> Result<ExitCode> {
    let ExportCommand {
        out: dir,
        force,
        vars,
        tenant,
    } = args;
    runtime()?.block_on(commands::export(tenant, dir, force, &vars.load(&[])?))
}

/// `completions`: the shell's completion script on stdout.
fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut cmd, "a0ctl", &mut buffer);
    commands::print_stdout(&String::from_utf8_lossy(&buffer))?;
    Ok(ExitCode::SUCCESS)
}

/// `test`: the rules run on the fixture logins of the test files.
fn test_rules(args: TestArgs, out: Out) -> Result<ExitCode> {
    crate::ruletest::run(
        &crate::ruletest::TestArgs {
            paths: args.paths,
            vars: args.vars.load(&[])?,
            filter: args.filter,
            limits: crate::rules_runtime::Limits {
                timeout: args.timeout,
                memory_bytes: (args.memory as usize) << 20,
            },
            json: args.format == ApplyFormat::Json,
        },
        out.stdout,
    )
}

fn init_logging(verbose: u8, color: bool) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("A0CTL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("a0ctl={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(ScrubbedStderr::default)
        .with_ansi(color)
        .with_target(false)
        .without_time()
        .try_init();
}

/// One log event, written to stderr when done, scrubbed of every secret this process knows
/// (an API error may echo a request body) and with control characters escaped.
#[derive(Default)]
struct ScrubbedStderr(Vec<u8>);

impl std::io::Write for ScrubbedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for ScrubbedStderr {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let clean = crate::secret::scrub_message(&text);
        // Colour codes are ours; only the message's own control characters are escaped.
        let shown = if clean.contains('\x1b') {
            clean
        } else {
            diag::visible(&clean).into_owned()
        };
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), shown.as_bytes());
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(io("cannot start the async runtime"))
}

fn emulator(args: EmulatorArgs) -> Result<ExitCode> {
    let config = crate::emulator::Config {
        listen: args.listen,
        state: args.state,
        tenant: args.tenant,
        client_id: args.client_id,
        client_secret: args.client_secret,
        latency: std::time::Duration::from_millis(args.latency_ms),
        fail_rate: args.fail_rate,
        rate_limit: args.rate_limit,
        fail_routes: args.fail_route,
        seed: args.seed,
        token_lifetime: std::time::Duration::from_secs(args.token_lifetime),
        action_build: std::time::Duration::from_millis(args.action_build_ms),
        tls: match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(crate::emulator::Tls::Files { cert, key }),
            _ if args.tls => Some(crate::emulator::Tls::SelfSigned {
                cert_out: args.tls_cert_out,
            }),
            _ => None,
        },
    };
    runtime()?
        .block_on(crate::emulator::run_until_signal(config))
        .map_err(|e| Error::Emulator {
            doing: "the emulator stopped".into(),
            source: e.into(),
        })?;
    Ok(ExitCode::SUCCESS)
}

fn validate(
    paths: &[PathBuf],
    allow_unset: bool,
    ignore: &[Pattern],
    vars: &Vars,
) -> Result<ExitCode> {
    let env = |name: &str| std::env::var(name).ok();
    let options = LoadOptions {
        env: &env,
        vars,
        lenient_env: allow_unset,
        ignore,
    };
    let desired = manifest::load(paths, &options)?;
    commands::print_warnings(&desired);
    commands::print_stdout(&format!("ok: {}\n", desired.summary()))?;
    Ok(ExitCode::SUCCESS)
}

fn schema(out: Option<PathBuf>) -> Result<ExitCode> {
    let text = crate::schema::render();
    match out {
        Some(path) => {
            std::fs::write(&path, text).map_err(io(format!("cannot write {}", path.display())))?
        }
        None => commands::print_stdout(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `--lock-timeout`: a duration of at most a day (past that, waiting is not what anyone means,
/// and a deadline that far would overflow the clock).
fn parse_lock_timeout(s: &str) -> std::result::Result<std::time::Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("`{s}` is not a duration ({e}); try 0s, 30s or 5m"))?;
    if d > std::time::Duration::from_secs(24 * 3600) {
        return Err(format!("`{s}` is more than 24h"));
    }
    Ok(d)
}
