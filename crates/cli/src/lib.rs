//! `strato api`: a CloudMonkey-style command-line client for the CloudStack API.
//!
//! This module owns the clap argument struct and the top-level dispatch; the
//! other modules each own one step (parameters, profiles, signed requests,
//! async jobs, output, command help).

mod config;
mod help;
mod job;
mod output;
mod params;
mod request;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

pub use config::Target;
pub use job::{pending_job, wait as wait_job};
pub use output::OutputFormat;
pub use request::{ApiError as CallError, Client};

const AFTER_HELP: &str = "\
Examples:
  strato api listZones
  strato api deployVirtualMachine zoneid=Z templateid=T serviceofferingid=S
  strato api updateVirtualMachine id=V details[0].cpuNumber=2
  strato api listVirtualMachines --output table --filter id,name,state
  strato api set-profile NAME url=http://host:8080/client/api apikey=K secretkey=S
  strato api help deployVirtualMachine    (same as: strato api deployVirtualMachine --help)

Profiles live in ~/.config/strato/config.toml (or $STRATO_CONFIG).
Without an API key and secret key, requests are sent unsigned (integration port).";

/// `strato api ...` arguments.
#[derive(clap::Args, Debug)]
#[command(
    about = "Call the CloudStack API, CloudMonkey-style",
    disable_help_flag = true,
    after_help = AFTER_HELP
)]
pub struct ApiArgs {
    /// API command (e.g. listZones), or `set-profile NAME`, or `help COMMAND`.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,

    /// Parameters as key=value; map parameters as details[0].cpuNumber=2.
    #[arg(value_name = "KEY=VALUE")]
    pub params: Vec<String>,

    /// Profile to use from the config file.
    #[arg(long, env = "STRATO_PROFILE", default_value = config::DEFAULT_PROFILE)]
    pub profile: String,

    /// Config file holding the profiles.
    #[arg(long, env = "STRATO_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// API endpoint, overriding the profile's `url`.
    #[arg(long, env = "STRATO_URL")]
    pub url: Option<String>,

    /// API key, overriding the profile's `apikey`.
    #[arg(long, env = "STRATO_APIKEY", hide_env_values = true)]
    pub apikey: Option<String>,

    /// Secret key, overriding the profile's `secretkey`.
    #[arg(long, env = "STRATO_SECRETKEY", hide_env_values = true)]
    pub secretkey: Option<String>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Json)]
    pub output: OutputFormat,

    /// Comma-separated fields to keep, e.g. id,name,state.
    #[arg(long, value_delimiter = ',', value_name = "FIELDS")]
    pub filter: Vec<String>,

    /// Seconds between async job polls.
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = parse_seconds)]
    pub poll_interval: Duration,

    /// Do not wait for async jobs: print the job id instead.
    #[arg(long)]
    pub no_wait: bool,

    /// Print help (with a COMMAND: that command's parameters, from the server).
    #[arg(short, long)]
    pub help: bool,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|e| format!("{e}"))?;
    if secs <= 0.0 {
        return Err("must be greater than 0".into());
    }
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

/// Runs `strato api ...`; API errors are printed here and give exit status 1,
/// while local failures (config, connection) are returned as errors.
pub async fn run(args: ApiArgs) -> anyhow::Result<ExitCode> {
    let Some(command) = args.command.as_deref() else {
        return usage(args.help);
    };
    match command {
        "set-profile" => set_profile(&args),
        "help" => match args.params.first() {
            Some(name) => help::show(&client(&args)?, name).await,
            None => usage(true),
        },
        _ if args.help => help::show(&client(&args)?, command).await,
        _ => call(&args, command).await,
    }
}

/// Prints clap's help: on stdout when asked for, on stderr (status 2) otherwise.
fn usage(asked: bool) -> anyhow::Result<ExitCode> {
    let mut cmd =
        <ApiArgs as clap::Args>::augment_args(clap::Command::new("api")).bin_name("strato api");
    let text = cmd.render_help();
    if asked {
        output::emit(&format!("{text}\n"))?;
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{text}");
        Ok(ExitCode::from(2))
    }
}

fn client(args: &ApiArgs) -> anyhow::Result<request::Client> {
    let path = config::path(args.config.as_deref())?;
    let file = config::ConfigFile::load(&path)?;
    let target = config::resolve(
        &file,
        &path,
        &args.profile,
        config::Overrides {
            url: args.url.as_deref(),
            apikey: args.apikey.as_deref(),
            secretkey: args.secretkey.as_deref(),
        },
    )?;
    request::Client::new(target)
}

async fn call(args: &ApiArgs, command: &str) -> anyhow::Result<ExitCode> {
    let params = params::parse(&args.params)?;
    let client = client(args)?;
    let inner = match client.call(command, &params).await? {
        Ok(inner) => inner,
        Err(err) => return Ok(fail(&err)),
    };
    let result = match job::pending_job(command, &inner) {
        Some(jobid) if args.no_wait => {
            output::emit(&format!("{jobid}\n"))?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(jobid) => match job::wait(&client, jobid, args.poll_interval).await? {
            Ok(result) => result,
            Err(err) => return Ok(fail(&err)),
        },
        None => inner,
    };
    output::emit(&output::render(&result, args.output, &args.filter)?)?;
    Ok(ExitCode::SUCCESS)
}

fn fail(err: &request::ApiError) -> ExitCode {
    eprintln!("{err}");
    ExitCode::FAILURE
}

/// `set-profile NAME key=value...`: merges the given keys into the profile.
fn set_profile(args: &ApiArgs) -> anyhow::Result<ExitCode> {
    let (name, pairs) = args
        .params
        .split_first()
        .context("usage: strato api set-profile NAME url=... apikey=... secretkey=...")?;
    anyhow::ensure!(
        !name.contains('='),
        "set-profile needs a profile NAME before the key=value pairs"
    );
    let path = config::path(args.config.as_deref())?;
    let mut file = config::ConfigFile::load(&path)?;
    for pair in pairs {
        let (key, value) = params::split(pair)?;
        config::set_profile_key(&mut file, name, &key, &value)?;
    }
    file.add_section(name);
    file.save(&path)?;
    output::emit(&format!("Saved profile {name} to {}\n", path.display()))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser, Debug)]
    struct Top {
        #[command(subcommand)]
        cmd: Sub,
    }

    #[derive(clap::Subcommand, Debug)]
    enum Sub {
        Api(ApiArgs),
    }

    fn parse(argv: &[&str]) -> ApiArgs {
        let argv = ["strato", "api"].iter().chain(argv);
        match Top::try_parse_from(argv) {
            Ok(Top { cmd: Sub::Api(a) }) => a,
            Err(e) => panic!("parse failed: {e}"),
        }
    }

    #[test]
    fn flags_mix_with_parameters() {
        let a = parse(&[
            "listZones",
            "name=a=b",
            "--output",
            "table",
            "--filter",
            "id,name",
            "details[0].cpuNumber=2",
            "--no-wait",
        ]);
        assert_eq!(a.command.as_deref(), Some("listZones"));
        assert_eq!(a.params, ["name=a=b", "details[0].cpuNumber=2"]);
        assert_eq!(a.output, OutputFormat::Table);
        assert_eq!(a.filter, ["id", "name"]);
        assert!(a.no_wait && !a.help);
        assert_eq!(a.profile, "default");
        assert_eq!(a.poll_interval, Duration::from_secs(1));
    }

    #[test]
    fn help_after_command_is_ours() {
        let a = parse(&["deployVirtualMachine", "--help"]);
        assert!(a.help);
        assert_eq!(a.command.as_deref(), Some("deployVirtualMachine"));
        let a = parse(&["-h"]);
        assert!(a.help && a.command.is_none());
    }

    #[test]
    fn poll_interval_accepts_fractions_only_positive() {
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("x").is_err());
    }
}
