//! Fleet replacement stage `fleet-create-fleet`: create the new fleet from the operator's CreateFleet JSON on the new build, never twice.

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::CreateFleet)
}
