//! Fleet replacement stage `fleet-drain-old`: one poll of the old fleet's live game sessions; scales it to zero once drained.

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::DrainOldFleet)
}
