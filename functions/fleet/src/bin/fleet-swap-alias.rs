//! Fleet replacement stage `fleet-swap-alias`: point the alias at the new fleet (only if it still routes to the old one).

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::SwapAlias)
}
