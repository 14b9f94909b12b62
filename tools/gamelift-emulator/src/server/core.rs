//! The emulator's core: the state behind one lock, the simulated clock, and the two
//! things every request and worker does with them: move the lifecycles on ([`Core::tick`])
//! and run one GameLift operation ([`Core::call`]).

use crate::api_model::api_model;
use crate::clock::SimClock;
use crate::error::ApiError;
use crate::events::Outgoing;
use crate::faults::Faults;
use crate::model::{Effect, Identity, ServerSettings, State, Timing};
use crate::ops::{self, Ctx, UploadCredentials};
use crate::validate::validate;
use serde_json::Value;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::mpsc;

pub(crate) struct Inner {
    pub(crate) state: State,
    /// Requests received per operation (including refused and throttled ones).
    pub(crate) calls: std::collections::BTreeMap<String, u64>,
    pub(crate) faults: Faults,
    pub(crate) settings: ServerSettings,
}

pub(crate) struct Core {
    pub(crate) inner: Mutex<Inner>,
    pub(crate) clock: SimClock,
    pub(crate) timing: Timing,
    pub(crate) who: Identity,
    pub(crate) initial_settings: ServerSettings,
    pub(crate) publish_events: bool,
    /// Credentials handed out for build uploads; `None`: uploads are off.
    pub(crate) uploads: Option<UploadCredentials>,
    pub(crate) events_tx: mpsc::UnboundedSender<Outgoing>,
    pub(crate) effects_tx: mpsc::UnboundedSender<(Effect, ServerSettings)>,
}

impl Core {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Advances lifecycles and hands due events and effects to their workers.
    pub(crate) fn tick(&self) {
        let now = self.clock.now();
        let mut g = self.lock();
        let Inner {
            state,
            faults,
            settings,
            ..
        } = &mut *g;
        let effects = state.tick(now, &self.timing, settings, faults, &self.who);
        let due = state.outbox.take_due(now, &faults.events);
        let settings = settings.clone();
        drop(g);
        for e in effects {
            let _ = self.effects_tx.send((e, settings.clone()));
        }
        for o in due {
            let _ = self.events_tx.send(o);
        }
    }

    pub(crate) fn call(&self, op: &str, body: &Value) -> Result<Value, ApiError> {
        if !ops::OPERATIONS.contains(&op) {
            return Err(if api_model().has_operation(op) {
                ApiError::unimplemented(op)
            } else {
                ApiError::unknown_operation(op)
            });
        }
        self.tick();
        let now = self.clock.now();
        let mut g = self.lock();
        *g.calls.entry(op.to_string()).or_default() += 1;
        g.faults.check(op, rand::random::<f64>())?;
        validate(api_model(), op, body)?;
        let Inner {
            state,
            faults,
            settings,
            ..
        } = &mut *g;
        let ctx = Ctx {
            now,
            timing: &self.timing,
            settings,
            who: &self.who,
            faults,
            uploads: self.uploads.as_ref(),
        };
        ops::dispatch(state, &ctx, op, body)
    }
}
