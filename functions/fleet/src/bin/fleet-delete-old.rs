//! Fleet replacement stage `fleet-delete-old`: delete the drained old fleet, never one an alias routes to.

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::DeleteOldFleet)
}
