//! The binaries the template deploys are exactly the binaries the workspace builds.

use std::collections::BTreeSet;

use hangar_tests::functions::{function_binaries, template_binaries};

#[test]
fn every_template_binary_is_a_bin_of_a_functions_package_and_every_bin_is_deployed() {
    let built: BTreeSet<String> = function_binaries().into_keys().collect();
    let deployed: Vec<String> = template_binaries();
    let deployed_set: BTreeSet<String> = deployed.iter().cloned().collect();
    assert_eq!(
        deployed.len(),
        deployed_set.len(),
        "a binary is deployed twice"
    );
    let missing: Vec<_> = deployed_set.difference(&built).collect();
    assert!(
        missing.is_empty(),
        "template names binaries no package builds: {missing:?}"
    );
    let unused: Vec<_> = built.difference(&deployed_set).collect();
    assert!(
        unused.is_empty(),
        "binaries the template never deploys: {unused:?}"
    );
    assert_eq!(built.len(), 28);
}

/// `sam build` of GET /version (CI's one-function build) compiles only what that function
/// runs: cargo-lambda runs in its CodeUri, the package `version-function`, whose
/// dependency tree must hold no AWS SDK crate (they are most of a cold build's time).
#[test]
fn the_version_function_package_builds_no_aws_sdk_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(hangar_tests::functions::repo_root().join("functions/version"))
        .args([
            "tree", "-e", "normal", "--prefix", "none", "--target", "all",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        tree.lines().any(|l| l.starts_with("version-function ")),
        "{tree}"
    );
    let heavy: BTreeSet<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| name.starts_with("aws-") || *name == "hangar-aws" || *name == "reqwest")
        .collect();
    assert!(
        heavy.is_empty(),
        "functions/version pulls in {heavy:?}; keep GET /version free of the AWS SDK (hangar-deploy without `hooks`)"
    );
    let text = std::fs::read_to_string(hangar_tests::functions::repo_root().join("template.yaml"))
        .expect("template.yaml is readable");
    let version = text
        .split("\n  VersionFunction:\n")
        .nth(1)
        .expect("template.yaml has VersionFunction");
    assert!(
        version.contains("\n      CodeUri: functions/version\n"),
        "VersionFunction's CodeUri is functions/version, so cargo-lambda resolves that package's features alone"
    );
}
