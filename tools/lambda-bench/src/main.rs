//! `lambda-bench`: cold-start figures of every function in `functions/` (see
//! `scripts/bench-lambdas`, which builds the release binaries first).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use axum::body::Bytes;
use clap::Parser;
use lambda_bench::artifact;
use lambda_bench::measure::{self, Launch, Limits};
use lambda_bench::report::{self, FunctionResult, Targets};
use lambda_bench::template;

#[derive(Debug, Parser)]
#[command(about = "Cold-start benchmark of the Lambda functions under a loopback Runtime API")]
struct Args {
    /// Workspace root (holds template.yaml, functions/, events/).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Directory of the built binaries (default: <root>/target/release).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Cold starts per function.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Only these functions (binary names of the packages under functions/); default all.
    #[arg(long = "function")]
    functions: Vec<String>,
    /// Template parameter value, Name=Value (parameters without one use their Default,
    /// else `bench-<Name>`).
    #[arg(long = "param", value_parser = key_value)]
    params: Vec<(String, String)>,
    /// Environment variable for every function, NAME=VALUE (overrides the template).
    #[arg(long = "env", value_parser = key_value)]
    env: Vec<(String, String)>,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Write every run's figures as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the table into this Markdown file between the lambda-bench markers.
    #[arg(long)]
    update: Option<PathBuf>,
}

fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    #[error("{0}")]
    Usage(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lambda-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Error> {
    let root = &args.root;
    let bin_dir = args
        .bin_dir
        .clone()
        .unwrap_or_else(|| root.join("target/release"));
    let template_path = root.join("template.yaml");
    let template_text = std::fs::read_to_string(&template_path).map_err(io(&template_path))?;
    let params: BTreeMap<String, String> = args.params.iter().cloned().collect();
    let specs = template::functions(&template_text, &params, &args.region)?;

    let names = if args.functions.is_empty() {
        function_crates(&root.join("functions"))?
    } else {
        args.functions.clone()
    };
    if names.is_empty() {
        return Err(Error::Usage(format!(
            "no functions under {}",
            root.join("functions").display()
        )));
    }

    let targets = Targets::default();
    let mut results = Vec::new();
    for name in &names {
        let binary = bin_dir.join(name);
        let (event_path, event) = sample_event(&root.join("events"), name)?;
        let mut result = FunctionResult {
            name: name.clone(),
            event: event_path.map(|p| p.strip_prefix(root).unwrap_or(&p).display().to_string()),
            sizes: None,
            samples: Vec::new(),
            failures: Vec::new(),
        };
        match artifact::sizes(&binary) {
            Ok(sizes) => result.sizes = Some(sizes),
            Err(e) => {
                result.failures.push(format!(
                    "{}: {e} (build it with `cargo build --release --bin {name}`)",
                    binary.display()
                ));
                results.push(result);
                continue;
            }
        }
        let spec = specs.get(name);
        if spec.is_none() {
            result.failures.push(format!(
                "{name} is not a function in template.yaml; started without its configuration"
            ));
        }
        let mut vars = spec.map(|s| s.vars.clone()).unwrap_or_default();
        vars.extend(args.env.iter().cloned());
        let launch = Launch {
            function_name: name.clone(),
            binary,
            memory_mb: spec.map_or(128, |s| s.memory_mb),
            region: args.region.clone(),
            vars,
            log_format: spec.and_then(|s| s.log_format.clone()),
            log_level: spec.and_then(|s| s.log_level.clone()),
            event: event.clone(),
            limits: Limits::default(),
        };
        eprint!("{name}: ");
        for _ in 0..args.runs {
            match measure::cold_start(&launch).await {
                Ok(sample) => {
                    eprint!(".");
                    result.samples.push(sample);
                }
                Err(e) => {
                    eprint!("x");
                    result.failures.push(e.to_string());
                }
            }
        }
        let missed = result.missed(&targets);
        eprintln!(
            " {}",
            if missed.is_empty() {
                "pass".to_string()
            } else {
                missed.join(", ")
            }
        );
        results.push(result);
    }

    let table = report::markdown(&results, &targets);
    println!("{table}");
    let passing = results
        .iter()
        .filter(|r| r.missed(&targets).is_empty())
        .count();
    eprintln!("{passing} of {} functions meet every target", results.len());

    if let Some(path) = &args.json {
        let json = serde_json::json!({
            "machine": machine(),
            "runs_per_function": args.runs,
            "functions": results.iter().map(|r| r.to_json(&targets)).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&json).map_err(|e| Error::Usage(e.to_string()))?;
        std::fs::write(path, text).map_err(io(path))?;
    }
    if let Some(path) = &args.update {
        let doc = std::fs::read_to_string(path).map_err(io(path))?;
        let now = time::OffsetDateTime::now_utc();
        let header = format!(
            "Measured {} UTC on {}; {} cold starts per function; binaries from `{}`.\n",
            now.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
                .get(..16)
                .unwrap_or_default()
                .replace('T', " "),
            machine(),
            args.runs,
            bin_dir.strip_prefix(root).unwrap_or(&bin_dir).display()
        );
        let updated =
            report::replace_section(&doc, &format!("{header}\n{table}")).ok_or_else(|| {
                Error::Usage(format!(
                    "{} has no section between {} and {}",
                    path.display(),
                    report::BEGIN,
                    report::END
                ))
            })?;
        std::fs::write(path, updated).map_err(io(path))?;
    }
    Ok(())
}

/// The Lambda binaries of the packages under `functions/`: every `[[bin]]` `name` of
/// their `Cargo.toml` (binary name == the template's `BuildProperties.Binary`).
fn function_crates(dir: &Path) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let manifest = entry.map_err(io(dir))?.path().join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest).map_err(io(&manifest))?;
        names.extend(bin_names(&text));
    }
    names.sort();
    Ok(names)
}

/// The `name` of each `[[bin]]` table of a manifest.
fn bin_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            if let Some(value) = line.strip_prefix("name") {
                let value = value.trim_start().trim_start_matches('=').trim();
                names.push(value.trim_matches('"').to_string());
                in_bin = false;
            }
        }
    }
    names
}

/// `events/<name>.json`, else `events/**/<name>.json`; `{}` when there is none.
fn sample_event(events: &Path, name: &str) -> Result<(Option<PathBuf>, Bytes), Error> {
    let file = format!("{name}.json");
    let mut candidates = vec![events.join(&file)];
    if let Ok(dirs) = std::fs::read_dir(events) {
        let mut nested: Vec<PathBuf> = dirs.flatten().map(|d| d.path().join(&file)).collect();
        nested.sort();
        candidates.extend(nested);
    }
    match candidates.into_iter().find(|p| p.is_file()) {
        Some(path) => {
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| Error::Usage(format!("{}: not JSON: {e}", path.display())))?;
            Ok((Some(path), Bytes::from(bytes)))
        }
        None => Ok((None, Bytes::from_static(b"{}"))),
    }
}

/// `<cpu model>, <n> cores, <arch>`.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .and_then(|r| r.split_once(':'))
                    .map(|(_, m)| m.trim().to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, {}", std::env::consts::ARCH)
}

#[cfg(test)]
mod tests {
    #[test]
    fn bin_names_are_read_from_every_bin_table_only() {
        let manifest = "[package]\nname = \"p\"\n\n[[bin]]\nname = \"a\"\npath = \"x\"\n\n[dependencies]\nname = \"no\"\n\n[[bin]]\nname=\"b\"\n";
        assert_eq!(super::bin_names(manifest), vec!["a", "b"]);
    }
}
