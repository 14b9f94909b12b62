//! Fleet replacement stage `fleet-create-build`: create the build from S3 (or reuse the given BuildId or the one an earlier run created).

fn main() -> Result<(), fleet_functions::Error> {
    fleet_functions::main(hangar_fleet::Stage::CreateBuild)
}
