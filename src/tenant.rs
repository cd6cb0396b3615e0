//! Choosing the tenant a command talks to: `--domain` with `--client-id`/`--client-secret` or
//! `--token` (each also from the environment), or `--local`, which runs the emulator in-process
//! with its state in `.a0ctl/local.db` under the current directory.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result, io};

use crate::api::{self, Api, Auth, Settings};
use crate::diag::hinted;
use crate::emulator;
use crate::manifest::types::ApiVersion;

/// Tenant selection, shared by every command that talks to a tenant.
#[derive(Debug, Clone, clap::Args)]
pub struct TenantArgs {
    /// The tenant: a host (https) or a URL; plain http only for loopback.
    #[arg(long, env = "AUTH0_DOMAIN", value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Client ID whose credentials get a token.
    #[arg(long, env = "AUTH0_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// Client secret whose credentials get a token.
    #[arg(
        long,
        env = "AUTH0_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub client_secret: Option<String>,
    /// A Management API token (used when no client credentials are given).
    #[arg(
        long,
        env = "AUTH0_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Use the embedded emulator with its state in .a0ctl/local.db (no account needed).
    #[arg(long)]
    pub local: bool,
    /// The Management API to speak, v1 or v2 (default: the manifests' `api:`; commands without
    /// manifests, such as export, speak v2).
    #[arg(
        long,
        env = "AUTH0_API",
        value_name = "API",
        hide_possible_values = true,
        value_parser = api_version()
    )]
    pub api: Option<crate::manifest::types::ApiVersion>,
    /// Seconds allowed for each request (1 to 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Retries of a failed call (5xx, timeout, connection error), with exponential backoff (0 to 100).
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u16).range(0..=100))]
    pub retries: u16,
    /// Send at most this many requests a second (a0ctl also follows X-RateLimit-Limit).
    #[arg(long, value_name = "RPS", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rps: Option<u32>,
}

/// A connected tenant; keeps the embedded emulator alive for `--local`.
pub struct Tenant {
    pub api: Api,
    /// How plans name the tenant (its base URL).
    pub label: String,
    local: Option<emulator::Handle>,
}

impl Tenant {
    /// Connect to the tenant the arguments name, speaking the API the manifests are written for
    /// (`manifests`; `None` for commands without manifests, which take `--api`, else v2: the API
    /// every tenant serves today).
    pub async fn connect(args: &TenantArgs, manifests: Option<ApiVersion>) -> Result<Tenant> {
        let api_version = match (args.api, manifests) {
            (Some(flag), Some(written)) if flag != written => {
                return Err(hinted(
                    format!("--api {flag} (AUTH0_API) but the manifests are written for {written}"),
                    "drop --api: the manifests' `api:` decides, or write the manifests for the other API",
                ));
            }
            (_, Some(written)) => written,
            (flag, None) => flag.unwrap_or(ApiVersion::V2),
        };
        let dialect = || crate::dialect::for_version(api_version);
        let settings = Settings {
            timeout: Duration::from_secs(args.timeout),
            max_rps: args.max_rps,
            retries: args.retries.into(),
        };
        if args.local {
            if args.domain.is_some() {
                crate::diag::say(
                    "warning: --local uses the embedded emulator; --domain (AUTH0_DOMAIN) is ignored",
                );
            }
            let dir = PathBuf::from(".a0ctl");
            std::fs::create_dir_all(&dir)
                .map_err(io(format!("cannot create {}", dir.display())))?;
            let handle = emulator::serve(emulator::Config {
                listen: "127.0.0.1:0".parse().expect("a valid address"),
                state: Some(dir.join("local.db")),
                tenant: "local".into(),
                ..emulator::Config::default()
            })
            .await
            .map_err(|e| Error::Emulator {
                doing: "cannot start the embedded emulator".into(),
                source: e.into(),
            })?;
            let base = url::Url::parse(&handle.base_url).expect("the emulator's URL parses");
            let auth = Auth::ClientCredentials {
                client_id: handle.global_client_id.clone(),
                secret: handle.global_client_secret.clone(),
            };
            let api = Api::connect(&base, auth, settings, dialect()).await?;
            return Ok(Tenant {
                api,
                label: "local (.a0ctl/local.db)".into(),
                local: Some(handle),
            });
        }
        let domain = args.domain.as_deref().ok_or_else(|| {
            hinted(
                "no tenant given",
                "pass --domain (or set AUTH0_DOMAIN) with credentials, or --local for the embedded emulator",
            )
        })?;
        let base = api::parse_domain(domain)?;
        // Credentials win over a token: a0ctl can renew a token it got itself.
        let auth = match (&args.token, &args.client_id, &args.client_secret) {
            (_, Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
                Auth::ClientCredentials {
                    client_id: id.clone(),
                    secret: secret.clone(),
                }
            }
            (Some(token), _, _) if !token.is_empty() => Auth::Token(token.clone()),
            _ => {
                return Err(hinted(
                    format!("no credentials for {domain}"),
                    "pass --client-id and --client-secret (AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET) or --token (AUTH0_TOKEN)",
                ));
            }
        };
        let label = base.as_str().trim_end_matches('/').to_string();
        let api = Api::connect(&base, auth, settings, dialect()).await?;
        Ok(Tenant {
            api,
            label,
            local: None,
        })
    }

    /// Stop the embedded emulator, if any, after in-flight requests.
    pub async fn close(self) {
        if let Some(h) = self.local {
            h.shutdown().await;
        }
    }
}

/// `--api`'s values, as `ApiVersion` names them.
fn api_version() -> impl clap::builder::TypedValueParser<Value = ApiVersion> {
    use clap::builder::TypedValueParser;
    let names: Vec<&'static str> = ApiVersion::ALL.iter().map(|a| a.as_str()).collect();
    clap::builder::PossibleValuesParser::new(names)
        .map(|name| ApiVersion::parse(&name).expect("one of ApiVersion::ALL's names"))
}
