//! Fixes the git commit and build time into hangar-deploy at build time
//! (`build_info::GIT_COMMIT`, `build_info::BUILD_TIME`, read by `GET /version`).
//!
//! - commit: `HANGAR_GIT_COMMIT` if set (CI, tarball builds), else `git rev-parse HEAD`,
//!   else `unknown` (a tarball without .git);
//! - build time: `SOURCE_DATE_EPOCH` if set (reproducible builds), else now; RFC 3339, UTC.
//!
//! Also converts the repository's `openapi.yaml` to JSON into `OUT_DIR/openapi.json`,
//! which `GET /openapi.json` answers (`api::OPENAPI_JSON`): the document is fixed into the
//! build, so the deployed API serves the contract of the code it runs. A missing or
//! invalid document fails the build with a message naming the file.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-env-changed=HANGAR_GIT_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    // A new commit or checkout changes HEAD, the ref it points at, or packed-refs. Paths
    // come from `git rev-parse --git-path`, which is right in linked worktrees too (their
    // refs live in the common git directory). Only files that exist are watched: a
    // missing one would make cargo rerun this script, and rebuild every dependent, on
    // every build.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(reference) = git_output(&manifest, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(reference);
    }
    for name in watched {
        if let Some(path) = git_output(
            &manifest,
            &["rev-parse", "--path-format=absolute", "--git-path", &name],
        ) {
            if Path::new(&path).is_file() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");

    let commit = std::env::var("HANGAR_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git_output(&manifest, &["rev-parse", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_string());

    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    println!("cargo:rustc-env=HANGAR_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=HANGAR_BUILD_TIME={}", rfc3339(epoch));

    if let Err(message) = openapi_json(&manifest) {
        eprintln!("hangar-deploy build: {message}");
        std::process::exit(1);
    }
}

/// `<repository>/openapi.yaml` as JSON in `OUT_DIR/openapi.json`.
fn openapi_json(manifest: &str) -> Result<(), String> {
    let source = Path::new(manifest).join("../../openapi.yaml");
    println!("cargo:rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(&source)
        .map_err(|e| format!("cannot read {}: {e}", source.display()))?;
    let document: serde_json::Value = serde_norway::from_str(&text)
        .map_err(|e| format!("{} is not a valid YAML document: {e}", source.display()))?;
    if document.get("openapi").and_then(|v| v.as_str()).is_none() {
        return Err(format!(
            "{} has no `openapi` version field: not an OpenAPI document",
            source.display()
        ));
    }
    let out = std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?;
    let target = Path::new(&out).join("openapi.json");
    std::fs::write(&target, document.to_string())
        .map_err(|e| format!("cannot write {}: {e}", target.display()))
}

fn git_output(dir: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, proleptic Gregorian).
fn rfc3339(epoch: u64) -> String {
    let days = (epoch / 86_400) as i64;
    let secs = epoch % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}
