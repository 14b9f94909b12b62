fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(fleet_wait_build::STAGE)
}
