//! Fleet replacement stage `fleet-wait-build`: one poll of the build: READY, still waiting, FAILED or past the stage timeout.

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::WaitBuild)
}
