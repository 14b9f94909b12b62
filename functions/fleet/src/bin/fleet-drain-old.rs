//! Fleet replacement stage `fleet-drain-old`: one poll of the old fleet's live game sessions; scales it to zero once drained.

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::DrainOldFleet)
}
