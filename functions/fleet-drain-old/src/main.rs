fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(fleet_drain_old::STAGE)
}
