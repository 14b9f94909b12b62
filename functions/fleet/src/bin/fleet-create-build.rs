//! Fleet replacement stage `fleet-create-build`: create the build from S3 (or reuse the given BuildId or the one an earlier run created).

fn main() -> Result<(), hangar_fleet::lambda::Stopped> {
    hangar_fleet::lambda::main(hangar_fleet::Stage::CreateBuild)
}
