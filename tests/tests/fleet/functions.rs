//! Every stage of the state machine is a binary of `functions/fleet` and a function of
//! the template, under the one name `Stage::function_name` gives it.

use hangar_fleet::Stage;
use hangar_tests::functions::{function_binaries, template_binaries};

#[test]
fn every_stage_has_a_fleet_bin_and_a_template_function_with_that_binary() {
    let bins = function_binaries();
    let deployed = template_binaries();
    for stage in Stage::ALL {
        let name = stage.function_name();
        assert_eq!(
            bins.get(name).map(String::as_str),
            Some("fleet"),
            "stage {stage:?} is the bin {name} of functions/fleet"
        );
        assert!(
            deployed.iter().any(|b| b == name),
            "template deploys the stage {name}"
        );
    }
    let fleet_bins = bins.values().filter(|p| *p == "fleet").count();
    assert_eq!(
        fleet_bins,
        Stage::ALL.len(),
        "functions/fleet builds only stages"
    );
}
