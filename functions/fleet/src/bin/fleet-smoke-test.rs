//! Fleet replacement stage `fleet-smoke-test`: place a game session directly on the new fleet, see it ACTIVE, end it.

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::SmokeTest)
}
