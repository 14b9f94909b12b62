fn main() -> Result<(), hangar_fleet::lambda::Error> {
    hangar_fleet::lambda::main(fleet_swap_alias::STAGE)
}
