//! Fleet replacement stage `fleet-validate`: validate the request, refuse unsafe starts, decide fresh or resume, and take the alias lock.

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::Validate)
}
