//! Fleet replacement stage `fleet-release-lock`: release the alias lock this replacement holds.

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::ReleaseLock)
}
