//! Fleet replacement stage `fleet-match-capacity`: set the new fleet's per-location desired/min/max from the old fleet or the request.

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::MatchCapacity)
}
