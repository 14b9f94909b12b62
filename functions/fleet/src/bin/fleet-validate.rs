//! Fleet replacement stage `fleet-validate`: validate the request, refuse unsafe starts, decide fresh or resume, and take the alias lock.

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::Validate)
}
