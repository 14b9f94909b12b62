//! Fleet replacement stage `fleet-wait-build`: one poll of the build: READY, still waiting, FAILED or past the stage timeout.

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::WaitBuild)
}
