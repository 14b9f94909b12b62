//! Fleet replacement stage `fleet-wait-capacity`: one poll of the new fleet's instances; copies the old fleet's scaling policies once reached.

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::WaitCapacity)
}
