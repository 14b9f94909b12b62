//! Fleet replacement stage `fleet-swap-alias`: point the alias at the new fleet (only if it still routes to the old one).

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::SwapAlias)
}
