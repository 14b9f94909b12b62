//! Fleet replacement stage `fleet-delete-old`: delete the drained old fleet, never one an alias routes to.

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::DeleteOldFleet)
}
