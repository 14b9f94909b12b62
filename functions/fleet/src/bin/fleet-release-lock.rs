//! Fleet replacement stage `fleet-release-lock`: release the alias lock this replacement holds.

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::ReleaseLock)
}
