//! Fleet replacement stage `fleet-create-fleet`: create the new fleet from the operator's CreateFleet JSON on the new build, never twice.

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::CreateFleet)
}
