//! `GET /v1/sessions?filter=&sort=&limit=&cursor=`: the listing, answered from the
//! table's indexes (see [`crate::listing`] for which index answers what), its shards
//! merged in order by [`crate::merge`].

use hangar_lambda::clock::now_ms;
use serde::Serialize;

use super::Sessions;
use crate::cursor::{self, CursorKey, Mark, Position};
use crate::listing::{self, MAX_SORT_WINDOW};
use crate::merge::{Density, Merge, Resume};
use crate::model::{SessionItem, SessionView};
use crate::search::Sort;
use crate::store::Edge;
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

/// The cursor of a page that resumes at `resume`.
fn encode_resume(key: &CursorKey, fingerprint: &str, resume: &Resume) -> Option<String> {
    let position = match &resume.edge {
        Edge::Start => return None,
        Edge::Past(list_sk) => Position::from([(PAST.to_string(), list_sk.clone())]),
        Edge::Item { key: position, .. } => position.clone(),
    };
    let mark = Mark {
        position,
        shard: resume.shard,
        density: resume.density.map(|d| [d.per_ms, d.matching]),
    };
    Some(cursor::encode(key, fingerprint, &mark))
}

/// Where a cursor's page resumes: past an item of its shard (its key), or past a window
/// edge (`PAST`). Cursors made before sharding hold an item key and no shard (shard 0).
fn decode_resume(mark: Mark) -> Result<Resume, SessionsError> {
    let malformed = SessionsError::Cursor(cursor::CursorError::Malformed);
    let Mark {
        position,
        shard,
        density,
    } = mark;
    let density = density.map(|[per_ms, matching]| Density { per_ms, matching });
    if let Some(list_sk) = position.get(PAST) {
        return Ok(Resume {
            shard,
            edge: Edge::Past(list_sk.clone()),
            density,
        });
    }
    let list_sk = position
        .get("listSk")
        .or_else(|| position.get("sk"))
        .filter(|sk| !sk.is_empty() && position.contains_key("pk"))
        .cloned()
        .ok_or(malformed)?;
    Ok(Resume {
        shard,
        edge: Edge::Item {
            key: position,
            list_sk,
        },
        density,
    })
}

/// Position field of a cursor that resumes past a window edge.
const PAST: &str = "past";

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
                .list_sorted_in_memory(&plan, sort, key, &fingerprint, start.map(|m| m.position))
                .await;
        }
        let start = start.map(decode_resume).transpose()?;
        let mut merge = Merge::new(
            plan.source.clone(),
            self.store.shards(),
            plan.descending,
            start,
            plan.limit,
            now_ms(),
        );
        let mut out: Vec<SessionItem> = Vec::new();
        let mut read = 0;
        while !merge.finished() && read < MAX_SCANNED_PER_REQUEST {
            let round = merge.round();
            if round.is_empty() {
                break;
            }
            let pages = futures::future::try_join_all(round.iter().map(|q| {
                self.store.list_page(
                    &plan.source,
                    q.shard,
                    plan.descending,
                    &q.from,
                    q.until.as_deref(),
                    q.limit,
                )
            }))
            .await?;
            for (q, page) in round.iter().zip(pages) {
                read += page.scanned;
                merge.absorb(q, page);
            }
            out.extend(merge.take(|i| plan.filter.matches(i)));
        }
        let next_cursor = merge
            .resume()
            .and_then(|r| encode_resume(key, &fingerprint, &r));
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
        let mut read = 0;
        self.store
            .for_each_page(&plan.source, 1000, |page| {
                read += page.scanned;
                all.extend(page.items.into_iter().filter(|i| plan.filter.matches(i)));
                if all.len() > MAX_SORT_WINDOW {
                    return Err(SessionsError::SortWindow(sort.attribute.to_string()));
                }
                Ok(())
            })
            .await?;
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
                &Mark {
                    position: Position::from([("offset".to_string(), end.to_string())]),
                    shard: 0,
                    density: None,
                },
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
