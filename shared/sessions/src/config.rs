//! The sessions area's configuration, read once at start-up from variables (the process
//! environment in Lambda, a map in `hangar dev` and the tests); every error names the
//! variable. [`Sessions::from_vars`](crate::Sessions::from_vars) builds the area's state
//! from it.

use hangar_lambda::config::{parsed_or, required, ConfigError, Vars};

use crate::credential::CredentialKey;
use crate::cursor::CursorKey;
use crate::model::MAX_LISTING_SHARDS;

pub const TABLE_VAR: &str = "SESSIONS_TABLE";
pub const QUEUE_VAR: &str = "GAMELIFT_QUEUE";
pub const ALIAS_VAR: &str = "GAMELIFT_ALIAS";
pub const CURSOR_SECRET_VAR: &str = "CURSOR_SECRET";
pub const TTL_DAYS_VAR: &str = "SESSION_TTL_DAYS";
pub const CREDENTIAL_SECRET_VAR: &str = "SERVER_CREDENTIAL_SECRET";
pub const PLACEMENT_TIMEOUT_VAR: &str = "PLACEMENT_TIMEOUT_SECONDS";
pub const LOOKUP_AFTER_VAR: &str = "PLACEMENT_LOOKUP_AFTER_SECONDS";
pub const LOOKUPS_PER_SECOND_VAR: &str = "PLACEMENT_LOOKUPS_PER_SECOND";
pub const LISTING_SHARDS_VAR: &str = "LISTING_SHARDS";

/// Listing shards when `LISTING_SHARDS` is not set (BENCHMARKS.md gives the rates).
pub const DEFAULT_LISTING_SHARDS: u32 = 4;

/// What a function needs beyond the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `GAMELIFT_QUEUE` (create, reconciler).
    Queue,
    /// `CURSOR_SECRET` (list).
    CursorKey,
    /// `SERVER_CREDENTIAL_SECRET` (create issues credentials; the server API checks them
    /// against the fingerprint stored with the session, so it needs no secret).
    ServerCredential,
}

/// Settings read once at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The sessions table (`SESSIONS_TABLE`).
    pub table: String,
    /// GameLift queue name or ARN placements go to (create, reconciler).
    pub queue: Option<String>,
    /// GameLift alias whose fleet the reconciler also covers.
    pub alias: Option<String>,
    /// Cursor signing key (list).
    pub cursor_key: Option<CursorKey>,
    /// Lifetime of ended sessions and finished placements, in seconds.
    pub ttl_secs: u64,
    /// DescribeGameSessions page size of the reconciler (1 to 100).
    pub reconcile_page_size: i32,
    /// Server credential signing key (create).
    pub credential_key: Option<CredentialKey>,
    /// The queue's placement timeout: a placement PENDING longer is counted as one whose
    /// event was lost (`PLACEMENT_TIMEOUT_SECONDS`, default 600, GameLift's default).
    pub placement_timeout_ms: u64,
    /// A PENDING placement is looked up with DescribeGameSessionPlacement once it is this
    /// old (`PLACEMENT_LOOKUP_AFTER_SECONDS`, default 5), and again at most this often.
    pub lookup_after_ms: u64,
    pub lookup_interval_ms: u64,
    /// Lookups per second across every reader (`PLACEMENT_LOOKUPS_PER_SECOND`, default 2).
    pub lookups_per_second: u32,
    /// Shards of each listing index partition (`LISTING_SHARDS`, 1 to 32, default 4):
    /// new sessions and placements are spread over them, a listing merges them all.
    pub listing_shards: u32,
}

impl Settings {
    /// Reads the table name and the settings `needs` asks for.
    pub fn from_vars(vars: &impl Vars, needs: &[Need]) -> Result<Settings, ConfigError> {
        let table = required(vars, TABLE_VAR)?;
        let ttl_days: u64 = parsed_or(vars, TTL_DAYS_VAR, 30)?;
        if !(1..=3650).contains(&ttl_days) {
            return Err(ConfigError::invalid(
                TTL_DAYS_VAR,
                &ttl_days.to_string(),
                "must be 1 to 3650 days",
            ));
        }
        let queue = if needs.contains(&Need::Queue) {
            Some(required(vars, QUEUE_VAR)?)
        } else {
            vars.var(QUEUE_VAR).filter(|v| !v.trim().is_empty())
        };
        let cursor_key =
            if needs.contains(&Need::CursorKey) {
                let secret = required(vars, CURSOR_SECRET_VAR)?;
                Some(CursorKey::new(secret.as_bytes()).map_err(|e| {
                    ConfigError::invalid(CURSOR_SECRET_VAR, "(hidden)", e.to_string())
                })?)
            } else {
                None
            };
        let credential_key = if needs.contains(&Need::ServerCredential) {
            let secret = required(vars, CREDENTIAL_SECRET_VAR)?;
            Some(CredentialKey::new(secret.as_bytes()).map_err(|e| {
                ConfigError::invalid(CREDENTIAL_SECRET_VAR, "(hidden)", e.to_string())
            })?)
        } else {
            None
        };
        let timeout_secs: u64 = parsed_or(vars, PLACEMENT_TIMEOUT_VAR, 600)?;
        if !(10..=86_400).contains(&timeout_secs) {
            return Err(ConfigError::invalid(
                PLACEMENT_TIMEOUT_VAR,
                &timeout_secs.to_string(),
                "must be 10 to 86400 seconds",
            ));
        }
        let lookup_after_secs: u64 = parsed_or(vars, LOOKUP_AFTER_VAR, 5)?;
        if !(1..=3600).contains(&lookup_after_secs) {
            return Err(ConfigError::invalid(
                LOOKUP_AFTER_VAR,
                &lookup_after_secs.to_string(),
                "must be 1 to 3600 seconds",
            ));
        }
        let lookups_per_second: u32 = parsed_or(vars, LOOKUPS_PER_SECOND_VAR, 2)?;
        if !(1..=10).contains(&lookups_per_second) {
            return Err(ConfigError::invalid(
                LOOKUPS_PER_SECOND_VAR,
                &lookups_per_second.to_string(),
                "must be 1 to 10 (DescribeGameSessionPlacement is not for polling)",
            ));
        }
        let listing_shards: u32 = parsed_or(vars, LISTING_SHARDS_VAR, DEFAULT_LISTING_SHARDS)?;
        if !(1..=MAX_LISTING_SHARDS).contains(&listing_shards) {
            return Err(ConfigError::invalid(
                LISTING_SHARDS_VAR,
                &listing_shards.to_string(),
                format!("must be 1 to {MAX_LISTING_SHARDS}"),
            ));
        }
        Ok(Settings {
            listing_shards,
            credential_key,
            placement_timeout_ms: timeout_secs * 1000,
            lookup_after_ms: lookup_after_secs * 1000,
            lookup_interval_ms: lookup_after_secs * 1000,
            lookups_per_second,
            table,
            queue,
            alias: vars.var(ALIAS_VAR).filter(|v| !v.trim().is_empty()),
            cursor_key,
            ttl_secs: ttl_days * 86_400,
            reconcile_page_size: 100,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn missing_or_bad_variables_are_named() {
        let e = Settings::from_vars(&vars(&[]), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains(TABLE_VAR), "{e}");
        let e = Settings::from_vars(&vars(&[(TABLE_VAR, "t")]), &[Need::Queue])
            .unwrap_err()
            .to_string();
        assert!(e.contains(QUEUE_VAR), "{e}");
        let e = Settings::from_vars(
            &vars(&[(TABLE_VAR, "t"), (CURSOR_SECRET_VAR, "short")]),
            &[Need::CursorKey],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains(CURSOR_SECRET_VAR) && !e.contains("short"), "{e}");
        let e = Settings::from_vars(&vars(&[(TABLE_VAR, "t"), (TTL_DAYS_VAR, "0")]), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains(TTL_DAYS_VAR), "{e}");
        for bad in ["0", "33", "four"] {
            let e = Settings::from_vars(
                &move |name: &str| match name {
                    TABLE_VAR => Some("t".to_string()),
                    LISTING_SHARDS_VAR => Some(bad.to_string()),
                    _ => None,
                },
                &[],
            )
            .unwrap_err()
            .to_string();
            assert!(e.contains(LISTING_SHARDS_VAR), "{e}");
        }
    }

    #[test]
    fn ttl_defaults_to_thirty_days() {
        let s = Settings::from_vars(&vars(&[(TABLE_VAR, "t")]), &[]).unwrap();
        assert_eq!(s.table, "t");
        assert_eq!(s.ttl_secs, 30 * 86_400);
        assert!(s.queue.is_none() && s.cursor_key.is_none());
        assert_eq!(s.listing_shards, DEFAULT_LISTING_SHARDS);
    }
}
