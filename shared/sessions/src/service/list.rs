//! `GET /v1/sessions?filter=&sort=&limit=&cursor=`: the listing, answered from the
//! table's indexes (see [`crate::listing`] for which index answers what).

use serde::Serialize;

use super::Sessions;
use crate::cursor::{self, CursorKey, Position};
use crate::listing::{self, MAX_SORT_WINDOW};
use crate::model::{SessionItem, SessionView};
use crate::search::Sort;
use crate::store::position_after;
use crate::SessionsError;

/// Most index items one listing request reads before answering with a cursor.
const MAX_SCANNED_PER_REQUEST: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListView {
    pub sessions: Vec<SessionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A listing with the DynamoDB read count behind it (for measurement).
#[derive(Debug, Clone)]
pub struct Listed {
    pub view: ListView,
    pub items_read: usize,
}

/// A session as the listing shows it: without its `data` (up to 256 KiB), which
/// `GET /v1/sessions/{sessionId}` answers.
fn listed(item: &SessionItem) -> SessionView {
    SessionView {
        data: None,
        ..item.view()
    }
}

impl Sessions {
    pub async fn list(
        &self,
        filter: Option<&str>,
        sort: Option<&str>,
        limit: Option<&str>,
        cursor_text: Option<&str>,
    ) -> Result<Listed, SessionsError> {
        let plan = listing::plan(filter, sort, limit)?;
        let key = self
            .settings
            .cursor_key
            .as_ref()
            .ok_or(SessionsError::NotConfigured("CURSOR_SECRET"))?;
        let fingerprint =
            cursor::query_fingerprint(filter.unwrap_or("").trim(), sort.unwrap_or("").trim());
        let start = match cursor_text.filter(|c| !c.is_empty()) {
            Some(c) => Some(cursor::decode(key, &fingerprint, c)?),
            None => None,
        };
        if let Some(sort) = &plan.memory_sort {
            return self
                .list_sorted_in_memory(&plan, sort, key, &fingerprint, start)
                .await;
        }

        let mut out: Vec<SessionItem> = Vec::new();
        let mut pos = start;
        let mut read = 0;
        let mut more = true;
        while out.len() < plan.limit && read < MAX_SCANNED_PER_REQUEST {
            let want = plan.limit - out.len();
            let page = self
                .store
                .list_page(&plan.source, plan.descending, pos.clone(), want)
                .await?;
            read += page.scanned;
            // Every item read is consumed, so the next position is right after the last.
            let last = page.items.last().map(|i| position_after(&plan.source, i));
            out.extend(page.items.into_iter().filter(|i| plan.filter.matches(i)));
            more = page.last_key.is_some();
            pos = last.or(page.last_key);
            if !more {
                break;
            }
        }
        let next_cursor = (more && pos.is_some())
            .then(|| pos.map(|p| cursor::encode(key, &fingerprint, &p)))
            .flatten();
        Ok(Listed {
            view: ListView {
                sessions: out.iter().map(listed).collect(),
                next_cursor,
            },
            items_read: read,
        })
    }

    async fn list_sorted_in_memory(
        &self,
        plan: &listing::Plan,
        sort: &Sort,
        key: &CursorKey,
        fingerprint: &str,
        start: Option<Position>,
    ) -> Result<Listed, SessionsError> {
        let offset: usize = match start {
            None => 0,
            Some(p) => p
                .get("offset")
                .and_then(|o| o.parse().ok())
                .ok_or(SessionsError::Cursor(cursor::CursorError::Malformed))?,
        };
        let mut all: Vec<SessionItem> = Vec::new();
        let mut pos = None;
        let mut read = 0;
        loop {
            let page = self.store.list_page(&plan.source, false, pos, 1000).await?;
            read += page.scanned;
            all.extend(page.items.into_iter().filter(|i| plan.filter.matches(i)));
            if all.len() > MAX_SORT_WINDOW {
                return Err(SessionsError::SortWindow(sort.attribute.to_string()));
            }
            match page.last_key {
                Some(k) => pos = Some(k),
                None => break,
            }
        }
        all.sort_by(|a, b| {
            sort.compare(a, b)
                .then_with(|| a.creation_time_millis.cmp(&b.creation_time_millis))
                .then_with(|| a.game_session_id.cmp(&b.game_session_id))
        });
        let end = (offset + plan.limit).min(all.len());
        let sessions = all
            .get(offset.min(end)..end)
            .unwrap_or_default()
            .iter()
            .map(listed)
            .collect();
        let next_cursor = (end < all.len()).then(|| {
            cursor::encode(
                key,
                fingerprint,
                &Position::from([("offset".to_string(), end.to_string())]),
            )
        });
        Ok(Listed {
            view: ListView {
                sessions,
                next_cursor,
            },
            items_read: read,
        })
    }
}
