//! Fleet replacement stage `fleet-wait-capacity`: one poll of the new fleet's instances; copies the old fleet's scaling policies once reached.

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::WaitCapacity)
}
