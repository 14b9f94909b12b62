//! Fleet replacement stage `fleet-wait-fleet`: one poll of the new fleet and every location: ACTIVE, waiting, ERROR or timed out.

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::WaitFleet)
}
