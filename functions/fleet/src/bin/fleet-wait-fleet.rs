//! Fleet replacement stage `fleet-wait-fleet`: one poll of the new fleet and every location: ACTIVE, waiting, ERROR or timed out.

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::WaitFleet)
}
