//! Start-up configuration from environment variables (errors name the variable).

use hangar_lambda::config::{parsed_or, required, ConfigError, Vars};

use crate::cursor::CursorKey;
use crate::service::Settings;

pub const TABLE_VAR: &str = "SESSIONS_TABLE";
pub const QUEUE_VAR: &str = "GAMELIFT_QUEUE";
pub const ALIAS_VAR: &str = "GAMELIFT_ALIAS";
pub const CURSOR_SECRET_VAR: &str = "CURSOR_SECRET";
pub const TTL_DAYS_VAR: &str = "SESSION_TTL_DAYS";

/// What a function needs beyond the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `GAMELIFT_QUEUE` (create, reconciler).
    Queue,
    /// `CURSOR_SECRET` (list).
    CursorKey,
}

/// Reads the table name and the settings `needs` asks for.
pub fn from_vars(vars: &impl Vars, needs: &[Need]) -> Result<(String, Settings), ConfigError> {
    let table = required(vars, TABLE_VAR)?;
    let ttl_days: i64 = parsed_or(vars, TTL_DAYS_VAR, 30)?;
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
    let cursor_key = if needs.contains(&Need::CursorKey) {
        let secret = required(vars, CURSOR_SECRET_VAR)?;
        Some(
            CursorKey::new(secret.as_bytes())
                .map_err(|e| ConfigError::invalid(CURSOR_SECRET_VAR, "(hidden)", e.to_string()))?,
        )
    } else {
        None
    };
    Ok((
        table,
        Settings {
            queue,
            alias: vars.var(ALIAS_VAR).filter(|v| !v.trim().is_empty()),
            cursor_key,
            ttl_seconds: ttl_days * 86_400,
            reconcile_page_size: 100,
        },
    ))
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
        let e = from_vars(&vars(&[]), &[]).unwrap_err().to_string();
        assert!(e.contains(TABLE_VAR), "{e}");
        let e = from_vars(&vars(&[(TABLE_VAR, "t")]), &[Need::Queue])
            .unwrap_err()
            .to_string();
        assert!(e.contains(QUEUE_VAR), "{e}");
        let e = from_vars(
            &vars(&[(TABLE_VAR, "t"), (CURSOR_SECRET_VAR, "short")]),
            &[Need::CursorKey],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains(CURSOR_SECRET_VAR) && !e.contains("short"), "{e}");
        let e = from_vars(&vars(&[(TABLE_VAR, "t"), (TTL_DAYS_VAR, "0")]), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains(TTL_DAYS_VAR), "{e}");
    }

    #[test]
    fn ttl_defaults_to_thirty_days() {
        let (table, s) = from_vars(&vars(&[(TABLE_VAR, "t")]), &[]).unwrap();
        assert_eq!(table, "t");
        assert_eq!(s.ttl_seconds, 30 * 86_400);
        assert!(s.queue.is_none() && s.cursor_key.is_none());
    }
}
