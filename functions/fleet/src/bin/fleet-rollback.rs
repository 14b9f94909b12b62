//! Fleet replacement stage `fleet-rollback`: undo a failed replacement: alias back, new fleet and created build deleted, old fleet kept.

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::Rollback)
}
