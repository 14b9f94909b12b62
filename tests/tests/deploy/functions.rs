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
