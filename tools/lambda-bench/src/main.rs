//! `lambda-bench`: cold-start figures of every function in `functions/` (see
//! `scripts/bench-lambdas`, which builds the release binaries and starts moto first).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use lambda_bench::artifact;
use lambda_bench::measure::{self, Launch};
use lambda_bench::report::{self, FunctionResult, Targets};
use lambda_bench::stack::{CallLog, Stack};
use lambda_bench::suite::{self, Suite, PEERS, PEER_RUNTIME};

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
    /// The moto server (`http://127.0.0.1:<port>`): serve every AWS call over TLS from
    /// it and an in-process GameLift emulator. Without it, every call goes to a recorder
    /// that refuses it.
    #[arg(long)]
    moto_url: Option<String>,
    /// Python with the peer's requirements (tools/lambda-bench/peer/requirements.txt):
    /// also measure the Python peers, each right after the function it mirrors.
    #[arg(long)]
    python: Option<PathBuf>,
    /// Where the test CA and the trust bundle are written.
    #[arg(long, default_value = "target/lambda-bench/stack")]
    stack_dir: PathBuf,
    /// Instead of cold starts: instructions per request under valgrind's callgrind. Each
    /// function runs twice, serving its event once and 1 + N times; the difference over
    /// N is the instructions of one warm request through the handler (its AWS calls to
    /// the local stack included, the stack's own work not).
    #[arg(long, value_name = "N")]
    callgrind: Option<u32>,
    /// Write every run's figures as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the tables into this Markdown file between the lambda-bench markers.
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
    Suite(#[from] suite::SuiteError),
    #[error(transparent)]
    Stack(#[from] lambda_bench::stack::StackError),
    #[error("{0}")]
    Usage(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
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
    let mut suite = Suite::new(root, bin_dir.clone(), &args.params, &args.region)?;
    suite.env = args.env.clone();

    let names = if args.functions.is_empty() {
        suite::function_binaries(&root.join("functions"))?
    } else {
        args.functions.clone()
    };
    if names.is_empty() {
        return Err(Error::Usage(format!(
            "no functions under {}",
            root.join("functions").display()
        )));
    }

    let stack = match &args.moto_url {
        Some(url) => {
            let stack = Stack::start(url, &root.join(&args.stack_dir), &args.region).await?;
            suite.create_resources(&stack).await?;
            Some(stack)
        }
        None => None,
    };
    let log = stack.as_ref().map(|s| s.log().clone()).unwrap_or_default();
    if let Some(n) = args.callgrind {
        return callgrind(&args, &suite, stack.as_ref(), &log, &names, n.max(1)).await;
    }

    let mut results = Vec::new();
    for name in &names {
        let start = suite.launch(name, stack.as_ref())?;
        let mut result = new_result(name, None, start.event.as_deref());
        match artifact::sizes(&start.launch.binary) {
            Ok(sizes) => result.sizes = Some(sizes),
            Err(e) => {
                result.failures.push(format!(
                    "{}: {e} (build it with `cargo build --release --bin {name}`)",
                    start.launch.binary.display()
                ));
                results.push(result);
                continue;
            }
        }
        if !start.in_template {
            result.failures.push(format!(
                "{name} is not a function in template.yaml; started without its configuration"
            ));
        }
        measure_runs(&start.launch, &log, args.runs, &mut result).await;
        results.push(result);
        if let Some(python) = &args.python {
            for peer in PEERS.iter().filter(|p| p.name == name) {
                let start = suite.peer_launch(peer, python, stack.as_ref())?;
                let mut result =
                    new_result(name, Some(PEER_RUNTIME.to_string()), start.event.as_deref());
                measure_runs(&start.launch, &log, args.runs, &mut result).await;
                results.push(result);
            }
        }
    }

    let targets = Targets::default().with_floor(&results);
    let table = report::markdown(&results, &targets);
    let comparison = report::comparison(&results);
    println!("{table}");
    if args.python.is_some() {
        println!("{comparison}");
    }
    let ours: Vec<&FunctionResult> = results.iter().filter(|r| r.runtime.is_none()).collect();
    let passing = ours
        .iter()
        .filter(|r| r.missed(&targets).is_empty())
        .count();
    eprintln!("{passing} of {} functions meet every target", ours.len());

    if let Some(path) = &args.json {
        let json = serde_json::json!({
            "machine": machine(),
            "load": load(),
            "runs_per_function": args.runs,
            "init_floor_ms": targets.init_floor_ms,
            "functions": results.iter().map(|r| r.to_json(&targets)).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&json).map_err(|e| Error::Usage(e.to_string()))?;
        std::fs::write(path, text).map_err(io(path))?;
    }
    if let Some(path) = &args.update {
        let doc = std::fs::read_to_string(path).map_err(io(path))?;
        let now = time::OffsetDateTime::now_utc();
        let header = format!(
            "Measured {} UTC on {}; load average before the run {}; {} cold starts per function; binaries from `{}`; AWS calls {}.\n",
            now.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
                .get(..16)
                .unwrap_or_default()
                .replace('T', " "),
            machine(),
            load(),
            args.runs,
            bin_dir.strip_prefix(root).unwrap_or(&bin_dir).display(),
            if stack.is_some() {
                "served over TLS by moto and the GameLift emulator"
            } else {
                "refused by the recorder"
            },
        );
        let mut content = format!("{header}\n{table}");
        if args.python.is_some() {
            content.push_str(&format!(
                "\nThe seeds' language beside ours (medians of the runs above):\n\n{comparison}"
            ));
        }
        let updated = report::replace_section(&doc, &content).ok_or_else(|| {
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

/// Instructions per warm request of each function (see `--callgrind`).
async fn callgrind(
    args: &Args,
    suite: &Suite,
    stack: Option<&Stack>,
    log: &CallLog,
    names: &[String],
    n: u32,
) -> Result<(), Error> {
    let dir = args.root.join("target/lambda-bench/callgrind");
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut table = String::from(
        "| function | event | answer | instructions, exec to idle after 1 request | after 1 + N requests | per warm request |\n| --- | --- | --- | ---: | ---: | ---: |\n",
    );
    for name in names {
        let start = suite.launch(name, stack)?;
        let mut counts = Vec::new();
        for invocations in [1, 1 + n] {
            let mut launch = start.launch.clone();
            launch.invocations = invocations;
            let out = dir.join(format!("{name}.{invocations}.out"));
            eprint!("{name} x{invocations}: ");
            match measure::instructions(&launch, log, &out).await {
                Ok((sample, ir)) => {
                    eprintln!("{ir} instructions");
                    counts.push((sample, ir));
                }
                Err(e) => {
                    eprintln!("failed: {e}");
                    break;
                }
            }
        }
        let [(sample, one), (_, many)] = counts.as_slice() else {
            table.push_str(&format!("| {name} | | failed | | | |\n"));
            continue;
        };
        let answer = sample.outcome.describe();
        table.push_str(&format!(
            "| {name} | `{}` | {answer} | {one} | {many} | {} |\n",
            start
                .event
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "{}".into()),
            many.saturating_sub(*one) / u64::from(n),
        ));
    }
    println!("{table}");
    if let Some(path) = &args.update {
        let doc = std::fs::read_to_string(path).map_err(io(path))?;
        let content = format!(
            "Measured {} UTC; N = {n}; binaries from `{}`; {}.\n\n{table}",
            time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
                .get(..16)
                .unwrap_or_default()
                .replace('T', " "),
            suite
                .bin_dir
                .strip_prefix(&args.root)
                .unwrap_or(&suite.bin_dir)
                .display(),
            valgrind_version(),
        );
        let updated = report::replace_marked(
            &doc,
            report::CALLGRIND_BEGIN,
            report::CALLGRIND_END,
            &content,
        )
        .ok_or_else(|| {
            Error::Usage(format!(
                "{} has no section between {} and {}",
                path.display(),
                report::CALLGRIND_BEGIN,
                report::CALLGRIND_END
            ))
        })?;
        std::fs::write(path, updated).map_err(io(path))?;
    }
    Ok(())
}

fn valgrind_version() -> String {
    std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "valgrind".into())
}

fn new_result(name: &str, runtime: Option<String>, event: Option<&Path>) -> FunctionResult {
    FunctionResult {
        name: name.to_string(),
        runtime,
        event: event.map(|p| p.display().to_string()),
        sizes: None,
        samples: Vec::new(),
        failures: Vec::new(),
    }
}

async fn measure_runs(launch: &Launch, log: &CallLog, runs: u32, result: &mut FunctionResult) {
    let label = match &result.runtime {
        None => result.name.clone(),
        Some(r) => format!("{} ({r})", result.name),
    };
    eprint!("{label}: ");
    for _ in 0..runs {
        match measure::cold_start(launch, log).await {
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
    eprintln!();
}

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`).
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
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
