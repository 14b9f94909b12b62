//! Fleet replacement stage `fleet-rollback`: undo a failed replacement: alias back, new fleet and created build deleted, old fleet kept.

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::Rollback)
}
