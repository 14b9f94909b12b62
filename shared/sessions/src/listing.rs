//! Planning a listing from a GameLift filter/sort: which index answers it so that each
//! item read is (nearly always) an item returned.
//!
//! Indexes (all hold ACTIVE sessions only, like SearchGameSessions):
//! - `open`: sparse GSI on `openPk`, sessions with a free seat, sorted by creation time.
//!   Answers the default listing and any filter requiring `hasAvailablePlayerSessions = true`.
//! - property partitions: one listing copy of the session per property in the base
//!   table (`pk = X#<key>=<value>`), sorted by creation time. Answers any filter
//!   requiring `gameSessionProperties.<key> = '<value>'`.
//! - `active`: sparse GSI on `activePk`, every active session. Answers the rest; other
//!   conditions are then evaluated on the items read.
//!
//! Order: creation time (ascending, or descending with `creationTimeMillis DESC`) comes
//! from the index. Any other sort reads every match (at most [`MAX_SORT_WINDOW`]) and
//! sorts in memory.

use crate::search::{
    parse_filter, parse_sort, Attribute, Comparator, Condition, Direction, Filter, ParseError,
    Searchable, Sort, Value,
};

use crate::model::{SessionItem, SessionStatus};

/// Most matches a listing sorted by something other than creation time may have.
pub const MAX_SORT_WINDOW: usize = 1000;
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

impl Searchable for SessionItem {
    fn game_session_id(&self) -> &str {
        &self.game_session_id
    }
    fn game_session_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn maximum_sessions(&self) -> i64 {
        i64::from(self.maximum_sessions)
    }
    fn creation_time_millis(&self) -> i64 {
        i64::try_from(self.creation_time_millis).unwrap_or(i64::MAX)
    }
    fn player_session_count(&self) -> i64 {
        i64::from(self.player_session_count)
    }
    fn has_available_player_sessions(&self) -> bool {
        self.status == SessionStatus::Active && self.has_free_seat()
    }
    fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }
}

/// Which index a listing reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Open,
    Active,
    Property { key: String, value: String },
}

/// How a listing is answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub source: Source,
    /// Evaluated on every item read (the index may hold items that no longer match).
    pub filter: Filter,
    /// Read the index newest first.
    pub descending: bool,
    /// A sort the index order does not give: read all matches, sort in memory.
    pub memory_sort: Option<Sort>,
    pub limit: usize,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("filter: {0}")]
    Filter(ParseError),
    #[error("sort: {0}")]
    Sort(ParseError),
    #[error("limit must be an integer from 1 to {MAX_LIMIT}")]
    Limit,
}

fn free_seat_condition() -> Filter {
    Filter::Condition(Condition {
        attribute: Attribute::HasAvailablePlayerSessions,
        comparator: Comparator::Eq,
        value: Value::Bool(true),
    })
}

/// Plans `GET /v1/sessions?filter=&sort=&limit=`.
pub fn plan(
    filter: Option<&str>,
    sort: Option<&str>,
    limit: Option<&str>,
) -> Result<Plan, PlanError> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or(PlanError::Limit)?,
    };
    let filter = match filter.map(str::trim).filter(|f| !f.is_empty()) {
        None => free_seat_condition(),
        Some(f) => parse_filter(f).map_err(PlanError::Filter)?,
    };
    let sort = match sort.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(parse_sort(s).map_err(PlanError::Sort)?),
    };

    let required = filter.required_conditions();
    let property = required
        .iter()
        .find_map(|c| match (&c.attribute, c.comparator, &c.value) {
            (Attribute::Property(key), Comparator::Eq, Value::Text(value)) => {
                Some(Source::Property {
                    key: key.clone(),
                    value: value.clone(),
                })
            }
            _ => None,
        });
    let wants_open = required.iter().any(|c| {
        c.attribute == Attribute::HasAvailablePlayerSessions
            && matches!(
                (c.comparator, &c.value),
                (Comparator::Eq, Value::Bool(true)) | (Comparator::Ne, Value::Bool(false))
            )
    });
    let source = property.unwrap_or(if wants_open {
        Source::Open
    } else {
        Source::Active
    });

    let (descending, memory_sort) = match sort {
        None => (false, None),
        Some(Sort {
            attribute: Attribute::CreationTimeMillis,
            direction,
        }) => (direction == Direction::Desc, None),
        Some(other) => (false, Some(other)),
    };
    Ok(Plan {
        source,
        filter,
        descending,
        memory_sort,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::session;

    #[test]
    fn default_listing_reads_the_open_index() {
        let p = plan(None, None, None).unwrap();
        assert_eq!(p.source, Source::Open);
        assert_eq!(p.limit, DEFAULT_LIMIT);
        assert!(p.filter.matches(&session("a", 4, 3)));
        assert!(!p.filter.matches(&session("b", 4, 4)));
    }

    #[test]
    fn a_property_equality_reads_that_property_partition() {
        let p = plan(
            Some("gameSessionProperties.mode = 'ranked' AND playerSessionCount < 3"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            p.source,
            Source::Property {
                key: "mode".into(),
                value: "ranked".into()
            }
        );
        assert!(p.filter.matches(&session("a", 4, 2)));
        assert!(!p.filter.matches(&session("a", 4, 3)));
    }

    #[test]
    fn free_seat_filters_read_the_open_index_and_others_the_active_index() {
        assert_eq!(
            plan(Some("hasAvailablePlayerSessions = true"), None, None)
                .unwrap()
                .source,
            Source::Open
        );
        assert_eq!(
            plan(Some("maximumSessions > 4"), None, None)
                .unwrap()
                .source,
            Source::Active
        );
        // an OR cannot be narrowed to one partition
        assert_eq!(
            plan(
                Some("gameSessionProperties.mode = 'a' OR gameSessionProperties.mode = 'b'"),
                None,
                None
            )
            .unwrap()
            .source,
            Source::Active
        );
    }

    #[test]
    fn creation_time_sorts_come_from_the_index_others_from_memory() {
        let p = plan(None, Some("creationTimeMillis DESC"), None).unwrap();
        assert!(p.descending && p.memory_sort.is_none());
        let p = plan(None, Some("playerSessionCount ASC"), None).unwrap();
        assert!(p.memory_sort.is_some());
    }

    #[test]
    fn bad_filter_sort_and_limit_are_reported() {
        match plan(Some("playerSessionCount >> 1"), None, None) {
            Err(PlanError::Filter(e)) => assert!(e.position > 0),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            plan(None, Some("bogus ASC"), None),
            Err(PlanError::Sort(_))
        ));
        assert_eq!(plan(None, None, Some("0")), Err(PlanError::Limit));
        assert_eq!(plan(None, None, Some("101")), Err(PlanError::Limit));
        assert_eq!(plan(None, None, Some("x")), Err(PlanError::Limit));
    }
}
