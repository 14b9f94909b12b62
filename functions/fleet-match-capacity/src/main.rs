fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(fleet_match_capacity::STAGE)
}
