//! Merging the shards of a listing index in listing order while reading (nearly) only
//! the items returned; called by the listing ([`crate::service`]), which runs the queries.
//!
//! Every shard is sorted by `listSk` (creation time, then id), and `listSk` orders all
//! shards alike, so one edge (the last item returned) says where every shard resumes.
//! A merge that read one item ahead in each shard to learn which comes next would read
//! up to `shards - 1` items per page that it does not return. Instead each round asks
//! every shard for its items up to the same edge `W` of a window, in the key condition
//! (`listSk <= W`), so no item past the window is read: the items of all shards up to `W`
//! are then known and come out in order. `W` is the last item of a first probe of one
//! shard, then follows from the density of the items seen so far, aiming below what is
//! still wanted so that a window rarely holds more than the page can take; shards read
//! past an item another shard has not reached are caught up to it first.
//!
//! Invariants: each shard's frontier is the edge up to which all of its items were read;
//! an item is returned only once every unfinished shard's frontier is at or past it;
//! the resume edge never passes an item not returned.

use std::cmp::Ordering;

use crate::listing::Source;
use crate::model::SessionItem;
use crate::store::{edge_after, Edge, Page};

/// How far past `now` an ascending window may end before it is left open (creation
/// times come from GameLift's clock, which may run a little ahead of ours).
const CLOCK_SKEW_MS: u64 = 60_000;

/// One query the merge wants run: shard `shard` from `from` to `until` (inclusive, a
/// `listSk` no item of the shard has; `None`: to the end), at most `limit` items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardQuery {
    pub shard: u32,
    pub from: Edge,
    pub until: Option<String>,
    pub limit: usize,
}

/// Where a listing resumes: an edge, and the shard it is an item of (for
/// [`Edge::Item`]; every other shard resumes past its `listSk`).
#[derive(Debug, Clone, PartialEq)]
pub struct Resume {
    pub shard: u32,
    pub edge: Edge,
    /// What the pages so far saw, to size the next page's first window.
    pub density: Option<Density>,
}

/// Items per millisecond of creation time in the index, and the share of them the
/// filter accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Density {
    pub per_ms: f64,
    pub matching: f64,
}

#[derive(Debug, Clone)]
struct ShardState {
    /// All items of the shard up to here are read (or were returned on earlier pages).
    frontier: Edge,
    /// Nothing is left past the frontier.
    done: bool,
}

/// One page's merge: plan a round with [`Merge::round`], feed each answer to
/// [`Merge::absorb`], take what is certain with [`Merge::take`], until
/// [`Merge::finished`].
#[derive(Debug)]
pub struct Merge {
    source: Source,
    descending: bool,
    now_ms: u64,
    shards: Vec<ShardState>,
    /// Items read, not yet taken.
    buffer: Vec<(u32, SessionItem)>,
    /// Matching items still wanted on this page.
    need: usize,
    /// Creation time the page started from (its first item's when it starts at the top).
    origin_ms: Option<u64>,
    /// Items taken (matching or not) and matching items taken.
    taken: usize,
    matched: usize,
    /// Where the last taken item leaves off.
    last: Option<Resume>,
    /// Window growth after rounds that found nothing.
    growth: u64,
    /// The density the previous page saw.
    hint: Option<Density>,
}

fn list_sk_of(edge: &Edge) -> Option<&str> {
    match edge {
        Edge::Start => None,
        Edge::Past(sk) | Edge::Item { list_sk: sk, .. } => Some(sk),
    }
}

/// Creation time of a `listSk` (or of a window edge, which starts the same way).
fn time_of(list_sk: &str) -> Option<u64> {
    list_sk.get(..15).and_then(|t| t.parse().ok())
}

impl Merge {
    /// A merge of `shards` shards resuming from `start` (`None`: the top of the index),
    /// wanting `need` matching items.
    pub fn new(
        source: Source,
        shards: u32,
        descending: bool,
        start: Option<Resume>,
        need: usize,
        now_ms: u64,
    ) -> Self {
        let shards = (0..shards.max(1))
            .map(|shard| ShardState {
                frontier: match &start {
                    None => Edge::Start,
                    Some(r) => match &r.edge {
                        Edge::Item { list_sk, .. } if r.shard != shard => {
                            Edge::Past(list_sk.clone())
                        }
                        edge => edge.clone(),
                    },
                },
                done: false,
            })
            .collect();
        let origin_ms = start
            .as_ref()
            .and_then(|r| list_sk_of(&r.edge))
            .and_then(time_of);
        Merge {
            source,
            descending,
            now_ms,
            shards,
            buffer: Vec::new(),
            need,
            origin_ms,
            taken: 0,
            matched: 0,
            last: None,
            growth: 1,
            hint: start.as_ref().and_then(|r| r.density),
        }
    }

    /// Listing order of two `listSk` values.
    fn order(&self, a: &str, b: &str) -> Ordering {
        if self.descending {
            b.cmp(a)
        } else {
            a.cmp(b)
        }
    }

    /// Listing order of two edges (the start comes first).
    fn edge_order(&self, a: &Edge, b: &Edge) -> Ordering {
        match (list_sk_of(a), list_sk_of(b)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => self.order(a, b),
        }
    }

    fn live(&self) -> impl Iterator<Item = (u32, &ShardState)> {
        self.shards
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.done)
            .map(|(i, s)| (i as u32, s))
    }

    /// The edge up to which every shard is read: the nearest unfinished frontier
    /// (`None`: every shard is finished).
    fn certain(&self) -> Option<(u32, &Edge)> {
        self.live()
            .map(|(i, s)| (i, &s.frontier))
            .min_by(|a, b| self.edge_order(a.1, b.1))
    }

    /// True when the page is full or nothing is left to read or take.
    pub fn finished(&self) -> bool {
        self.need == 0 || (self.buffer.is_empty() && self.live().next().is_none())
    }

    /// Items read but not returned so far (read in vain unless a later round takes them).
    pub fn unreturned(&self) -> usize {
        self.buffer.len()
    }

    /// The queries of the next round (none when finished).
    pub fn round(&self) -> Vec<ShardQuery> {
        if self.finished() {
            return Vec::new();
        }
        let Some((_, nearest)) = self.certain() else {
            return Vec::new();
        };
        let nearest = nearest.clone();
        let furthest = self
            .live()
            .map(|(_, s)| s.frontier.clone())
            .max_by(|a, b| self.edge_order(a, b))
            .unwrap_or(Edge::Start);
        let need = self.need;
        // Shards behind another catch up to it first: no item past it is needed yet.
        if self.edge_order(&nearest, &furthest) == Ordering::Less {
            let until = list_sk_of(&furthest).map(str::to_string);
            return self
                .live()
                .filter(|(_, s)| self.edge_order(&s.frontier, &furthest) == Ordering::Less)
                .map(|(shard, s)| ShardQuery {
                    shard,
                    from: s.frontier.clone(),
                    until: until.clone(),
                    limit: need,
                })
                .collect();
        }
        let live = self.live().count();
        match self.window_edge(list_sk_of(&nearest)) {
            // No density known yet: probe one shard, its last item is the first window.
            None => {
                let (shard, s) = match self.live().next() {
                    Some((shard, s)) => (shard, s.frontier.clone()),
                    None => return Vec::new(),
                };
                vec![ShardQuery {
                    shard,
                    from: s,
                    until: None,
                    limit: (need * 3 / 4 / live).max(1),
                }]
            }
            Some(until) => self
                .live()
                .map(|(shard, s)| ShardQuery {
                    shard,
                    from: s.frontier.clone(),
                    until: until.clone(),
                    limit: need,
                })
                .collect(),
        }
    }

    /// The next window's edge past `from`, from the density of the items taken so far:
    /// `None` when nothing is known yet, `Some(None)` when the window reaches the end of
    /// the index (ascending: past now; descending: the epoch).
    fn window_edge(&self, from: Option<&str>) -> Option<Option<String>> {
        let from_ms = time_of(from?)?;
        let Density { per_ms, matching } = self.density()?;
        // The first window aims at three quarters of the page, later ones at what is left.
        let aim = if self.matched == 0 {
            self.need as f64 * 0.75
        } else {
            self.need as f64
        };
        // Two windows in a row found nothing: past a gap, or at the end. Read to the end.
        if self.growth >= 16 {
            return Some(None);
        }
        let width_ms = ((aim / matching / per_ms).ceil() as u64)
            .max(1)
            .saturating_mul(self.growth);
        Some(if self.descending {
            from_ms
                .checked_sub(width_ms)
                .filter(|t| *t > 0)
                .map(|t| format!("{t:015}"))
        } else {
            let t = from_ms.saturating_add(width_ms);
            (t <= self.now_ms.saturating_add(CLOCK_SKEW_MS)).then(|| format!("{t:015}$"))
        })
    }

    /// The density seen on this page, else the previous page's.
    fn density(&self) -> Option<Density> {
        let measured = match (self.origin_ms, self.certain()) {
            (Some(origin_ms), Some((_, edge))) if self.taken > 0 => {
                list_sk_of(edge).and_then(time_of).map(|at_ms| Density {
                    per_ms: self.taken as f64 / at_ms.abs_diff(origin_ms).max(1) as f64,
                    matching: (self.matched.max(1) as f64 / self.taken as f64).min(1.0),
                })
            }
            _ => None,
        };
        measured.or(self.hint)
    }

    /// Records the answer to `query`.
    pub fn absorb(&mut self, query: &ShardQuery, page: Page) {
        let shard = query.shard as usize;
        let Some(state) = self.shards.get_mut(shard) else {
            return;
        };
        match page.last_key {
            Some(key) => {
                let list_sk = key
                    .get("listSk")
                    .or_else(|| key.get("sk"))
                    .cloned()
                    .unwrap_or_default();
                state.frontier = Edge::Item { key, list_sk };
            }
            None => match &query.until {
                Some(until) => state.frontier = Edge::Past(until.clone()),
                None => state.done = true,
            },
        }
        self.buffer
            .extend(page.items.into_iter().map(|i| (query.shard, i)));
    }

    /// Takes, in listing order, the items every shard has been read past, and returns
    /// those `matches` accepts (at most what is still wanted).
    pub fn take(&mut self, matches: impl Fn(&SessionItem) -> bool) -> Vec<SessionItem> {
        let bound = self
            .certain()
            .map(|(_, e)| list_sk_of(e).map(str::to_string));
        let descending = self.descending;
        self.buffer.sort_by(|a, b| {
            let o = a.1.list_sk.cmp(&b.1.list_sk);
            if descending {
                o.reverse()
            } else {
                o
            }
        });
        let mut out = Vec::new();
        let mut rest = std::mem::take(&mut self.buffer).into_iter();
        let mut found_any = false;
        for (shard, item) in rest.by_ref() {
            let certain = match &bound {
                None => true,
                Some(None) => false,
                Some(Some(b)) => self.order(&item.list_sk, b) != Ordering::Greater,
            };
            if !certain || self.need == 0 {
                self.buffer.push((shard, item));
                break;
            }
            found_any = true;
            self.origin_ms = self.origin_ms.or(Some(item.creation_time_millis));
            self.taken += 1;
            self.last = Some(Resume {
                shard,
                edge: edge_after(&self.source, &item),
                density: None,
            });
            if matches(&item) {
                self.matched += 1;
                self.need -= 1;
                out.push(item);
            }
        }
        self.buffer.extend(rest);
        self.growth = if found_any {
            1
        } else {
            self.growth.saturating_mul(4)
        };
        out
    }

    /// Where the next page starts, `None` when nothing is left. A full page resumes after
    /// its last item; a page cut short resumes where every shard has been read to.
    pub fn resume(&self) -> Option<Resume> {
        if self.buffer.is_empty() && self.live().next().is_none() {
            return None;
        }
        let at = if self.need == 0 {
            self.last.clone()
        } else {
            match self.certain() {
                Some((shard, edge @ (Edge::Item { .. } | Edge::Past(_)))) => Some(Resume {
                    shard,
                    edge: edge.clone(),
                    density: None,
                }),
                _ => self.last.clone(),
            }
        };
        at.map(|r| Resume {
            density: self.density(),
            ..r
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cursor::Position;
    use crate::model::tests::session;
    use crate::model::{listing_shard, SessionItem};

    /// Shards held in memory, answering queries as DynamoDB does (key condition, limit).
    struct Shards(Vec<Vec<SessionItem>>);

    impl Shards {
        fn new(count: usize, shards: u32, step_ms: u64) -> Self {
            Self::with_times(count, shards, |i| 1_000_000 + i as u64 * step_ms)
        }

        fn with_times(count: usize, shards: u32, time: impl Fn(usize) -> u64) -> Self {
            let mut all = vec![Vec::new(); shards as usize];
            for i in 0..count {
                let id = format!("gsess-{i:05}");
                let mut s = session(&id, 8, 1);
                s.creation_time_millis = time(i);
                s.list_shard = listing_shard(&id, shards);
                s.refresh_index_keys();
                all[s.list_shard as usize].push(s);
            }
            for shard in &mut all {
                shard.sort_by(|a, b| a.list_sk.cmp(&b.list_sk));
            }
            Shards(all)
        }

        fn answer(&self, q: &ShardQuery, descending: bool) -> Page {
            let mut items: Vec<&SessionItem> = self.0[q.shard as usize].iter().collect();
            if descending {
                items.reverse();
            }
            let after = |i: &SessionItem, edge: &str| {
                if descending {
                    i.list_sk.as_str() < edge
                } else {
                    i.list_sk.as_str() > edge
                }
            };
            let within = |i: &SessionItem| match &q.until {
                None => true,
                Some(u) => {
                    if descending {
                        i.list_sk.as_str() >= u.as_str()
                    } else {
                        i.list_sk.as_str() <= u.as_str()
                    }
                }
            };
            let matching: Vec<SessionItem> = items
                .into_iter()
                .filter(|i| match &q.from {
                    Edge::Start => true,
                    Edge::Past(e) | Edge::Item { list_sk: e, .. } => after(i, e),
                })
                .filter(|i| within(i))
                .cloned()
                .collect();
            // DynamoDB answers a LastEvaluatedKey whenever a query stops at its limit.
            let more = matching.len() >= q.limit;
            let items: Vec<SessionItem> = matching.into_iter().take(q.limit).collect();
            let last_key = more.then(|| {
                let last = items.last().unwrap();
                Position::from([
                    ("pk".to_string(), last.pk.clone()),
                    ("sk".to_string(), last.sk.clone()),
                    ("listSk".to_string(), last.list_sk.clone()),
                ])
            });
            Page {
                scanned: items.len(),
                items,
                last_key,
            }
        }
    }

    /// Pages through everything; returns the ids in order and the items read.
    fn page_through(
        shards: &Shards,
        count: u32,
        descending: bool,
        limit: usize,
    ) -> (Vec<String>, usize, usize) {
        let (mut ids, mut read, mut pages) = (Vec::new(), 0, 0);
        let mut start = None;
        loop {
            let mut m = Merge::new(Source::Open, count, descending, start, limit, u64::MAX / 2);
            while !m.finished() {
                let round = m.round();
                assert!(!round.is_empty());
                for q in &round {
                    let page = shards.answer(q, descending);
                    read += page.scanned;
                    m.absorb(q, page);
                }
                ids.extend(m.take(|_| true).into_iter().map(|s| s.game_session_id));
            }
            pages += 1;
            match m.resume() {
                Some(r) => start = Some(r),
                None => break,
            }
            assert!(pages < 10_000);
        }
        (ids, read, pages)
    }

    #[test]
    fn every_item_comes_once_in_order_both_ways_with_few_extra_reads() {
        for shards in [1u32, 3, 8] {
            let data = Shards::new(1_000, shards, 7);
            let mut expected: Vec<String> = (0..1_000).map(|i| format!("gsess-{i:05}")).collect();
            for descending in [false, true] {
                for limit in [3usize, 20, 100] {
                    let (ids, read, _) = page_through(&data, shards, descending, limit);
                    assert_eq!(ids, expected, "shards {shards} limit {limit}");
                    let ratio = read as f64 / ids.len() as f64;
                    println!("shards {shards} desc {descending} limit {limit}: {ratio:.3}");
                    assert!(
                        ratio <= 1.1 || limit < 20,
                        "shards {shards} limit {limit} desc {descending}: {ratio}"
                    );
                }
                expected.reverse();
            }
        }
    }

    #[test]
    fn sessions_created_in_bursts_are_merged_with_few_extra_reads() {
        // three sessions a millisecond, every 11 ms
        let data = Shards::with_times(1_200, 8, |i| 1_000_000 + (i as u64 / 3) * 11);
        let (ids, read, _) = page_through(&data, 8, false, 20);
        assert_eq!(ids.len(), 1_200);
        let ratio = read as f64 / ids.len() as f64;
        assert!(ratio <= 1.1, "{ratio}");
    }

    #[test]
    fn a_page_resumed_with_another_shard_count_misses_nothing() {
        // Rows written with 2 shards, the setting raised to 5 between two pages.
        let data = Shards::new(300, 2, 3);
        let mut m = Merge::new(Source::Open, 2, false, None, 40, u64::MAX / 2);
        let mut ids = Vec::new();
        while !m.finished() {
            for q in m.round() {
                let p = data.answer(&q, false);
                m.absorb(&q, p);
            }
            ids.extend(m.take(|_| true).into_iter().map(|s| s.game_session_id));
        }
        let mut start = m.resume();
        let wider = Shards(
            data.0
                .iter()
                .cloned()
                .chain(std::iter::repeat_n(Vec::new(), 3))
                .collect(),
        );
        while let Some(s) = start {
            let mut m = Merge::new(Source::Open, 5, false, Some(s), 40, u64::MAX / 2);
            while !m.finished() {
                for q in m.round() {
                    let p = wider.answer(&q, false);
                    m.absorb(&q, p);
                }
                ids.extend(m.take(|_| true).into_iter().map(|s| s.game_session_id));
            }
            start = m.resume();
        }
        let expected: Vec<String> = (0..300).map(|i| format!("gsess-{i:05}")).collect();
        assert_eq!(ids, expected);
    }
}
