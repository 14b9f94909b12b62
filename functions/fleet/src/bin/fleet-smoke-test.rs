//! Fleet replacement stage `fleet-smoke-test`: place a game session directly on the new fleet, see it ACTIVE, end it.

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::SmokeTest)
}
