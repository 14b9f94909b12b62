//! The Lambda binaries the project builds (`[[bin]]` of each package under `functions/`)
//! and the ones `template.yaml` deploys (`BuildProperties.Binary`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Every `[[bin]]` of every package under `functions/`: binary name -> package directory
/// name (`sessions`, `fleet`, ...).
///
/// # Panics
/// When a manifest cannot be read or parsed (a test failure).
pub fn function_binaries() -> BTreeMap<String, String> {
    let mut bins = BTreeMap::new();
    let dir = repo_root().join("functions");
    for entry in std::fs::read_dir(&dir).expect("functions/ is readable") {
        let path = entry.expect("functions/ entry").path();
        let manifest = path.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest).expect("manifest is readable");
        let doc: toml::Table = text.parse().expect("manifest is TOML");
        let package = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for bin in doc
            .get("bin")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten()
        {
            let name = bin["name"].as_str().expect("bin has a name").to_string();
            assert_eq!(
                bin.get("test").and_then(|t| t.as_bool()),
                Some(false),
                "bin {name} has `test = false` (no empty test harness per binary)"
            );
            assert!(
                bins.insert(name.clone(), package.clone()).is_none(),
                "bin {name} is declared twice"
            );
        }
    }
    bins
}

/// Every `Binary:` of `template.yaml`, in order.
pub fn template_binaries() -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("template.yaml"))
        .expect("template.yaml is readable");
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Binary:"))
        .map(|b| b.trim().to_string())
        .collect()
}
