//! The game-servers area: the ECS scaler and the allocation API against moto's ECS, with simulated game servers on loopback (`tools/ecs-lab`).
//! One test binary for the area; each module is one part of it.

mod allocation;
mod networking;
mod probes;
mod scaler;
mod support;
