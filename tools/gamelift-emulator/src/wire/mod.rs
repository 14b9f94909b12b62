//! Wire codecs. Operations read and build `serde_json::Value`s; the children turn them
//! into the two protocols GameLift clients speak:
//! - [`json`]: JSON 1.1 (`POST /`, `X-Amz-Target: GameLift.<Operation>`), timestamps as
//!   epoch seconds;
//! - [`cbor`]: Smithy RPC v2 CBOR (`POST /service/GameLift/operation/<Operation>`),
//!   timestamps as CBOR tag 1 over a float.
//!
//! A timestamp inside a response value is written as `{"$ts": <epoch seconds>}` by [`ts`].

pub mod cbor;
pub mod input;
pub mod json;
pub mod timestamp;

pub use cbor::{decode_cbor, encode_cbor};
pub use input::Input;
pub use json::{decode_json, encode_json, to_json};
pub use timestamp::ts;
