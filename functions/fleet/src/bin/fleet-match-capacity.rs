//! Fleet replacement stage `fleet-match-capacity`: set the new fleet's per-location desired/min/max from the old fleet or the request.

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::MatchCapacity)
}
