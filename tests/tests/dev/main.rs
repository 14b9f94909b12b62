//! `hangar dev`: the local gateway and the local stack.
//! One test binary for the area; each module is one part of it.

mod console;
mod gateway;
mod routes;
mod stack;
