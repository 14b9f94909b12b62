//! SearchGameSessions of the emulator (its own reading of GameLift's API reference)
//! against Hangar's listing language (`hangar_sessions::search`): generated filter and sort
//! expressions over one fleet's game sessions, and the two must agree on which sessions
//! match and in what order (sort keys in the same sequence), and refuse the same malformed
//! expressions.

use aws_sdk_gamelift::error::ProvideErrorMetadata;
use aws_sdk_gamelift::types::{GameProperty, GameSession, PlayerSessionCreationPolicy};
use aws_sdk_gamelift::Client;
use hangar_sessions::search::{parse_filter, parse_sort, AttributeValue, Searchable};
use hangar_tests::gamelift::{active_fleet, scale_fleet, wait_active_game_sessions};
use hangar_tests::{gamelift_client, start_emulator};
use std::collections::BTreeSet;

/// A game session as DescribeGameSessions answers it, searchable by Hangar's language.
struct Seen {
    id: String,
    name: Option<String>,
    max: i64,
    created_ms: i64,
    players: i64,
    accepts: bool,
    props: Vec<(String, String)>,
}

impl Seen {
    fn of(g: &GameSession) -> Self {
        let t = g.creation_time().unwrap();
        // Whole seconds here; `sessions` puts in the exact milliseconds.
        Self {
            id: g.game_session_id().unwrap().to_string(),
            name: g.name().map(str::to_string),
            max: i64::from(g.maximum_player_session_count().unwrap()),
            created_ms: t.secs() * 1000,
            players: i64::from(g.current_player_session_count().unwrap()),
            accepts: g.player_session_creation_policy()
                == Some(&PlayerSessionCreationPolicy::AcceptAll),
            props: g
                .game_properties()
                .iter()
                .map(|p| (p.key().unwrap().to_string(), p.value().unwrap().to_string()))
                .collect(),
        }
    }
}

impl Searchable for Seen {
    fn game_session_id(&self) -> &str {
        &self.id
    }
    fn game_session_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn maximum_sessions(&self) -> i64 {
        self.max
    }
    fn creation_time_millis(&self) -> i64 {
        self.created_ms
    }
    fn player_session_count(&self) -> i64 {
        self.players
    }
    fn has_available_player_sessions(&self) -> bool {
        self.accepts && self.players < self.max
    }
    fn property(&self, key: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A small deterministic generator (64-bit LCG), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const NAMES: [&str; 5] = ["alpha", "beta", "gamma", "Delta", "beta two"];
const MODES: [&str; 3] = ["ranked", "casual", "brawl"];
const MAPS: [&str; 3] = ["dust", "mirage", "nuke"];
const CMP: [&str; 6] = ["=", "<>", "<", ">", "<=", ">="];

/// A quoted string literal, `\` escaping quotes and backslashes.
fn quote(s: impl AsRef<str>) -> String {
    let s = s.as_ref();
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// One random condition over the attributes the sessions have.
fn condition(r: &mut Rng, sessions: &[Seen]) -> String {
    let eq = *r.pick(&["=", "<>"]);
    match r.below(8) {
        0 => format!("gameSessionName {eq} {}", quote(r.pick(&NAMES))),
        1 => format!("gameSessionProperties.mode {eq} {}", quote(r.pick(&MODES))),
        2 => format!("gameSessionProperties.map {eq} {}", quote(r.pick(&MAPS))),
        3 => format!("maximumSessions {} {}", r.pick(&CMP), r.below(14)),
        4 => format!("playerSessionCount {} {}", r.pick(&CMP), r.below(6)),
        5 => format!(
            "hasAvailablePlayerSessions {eq} {}",
            r.pick(&["true", "false"])
        ),
        6 => {
            let t = r.pick(sessions).created_ms + *r.pick(&[-1i64, 0, 1]);
            format!("creationTimeMillis {} {t}", r.pick(&CMP))
        }
        _ => format!("gameSessionId {eq} {}", quote(&r.pick(sessions).id)),
    }
}

/// A random filter up to `depth` levels of AND / OR / NOT and parentheses.
fn filter(r: &mut Rng, sessions: &[Seen], depth: usize) -> String {
    if depth == 0 || r.below(3) == 0 {
        return condition(r, sessions);
    }
    match r.below(4) {
        0 => format!("NOT {}", wrap(r, sessions, depth - 1)),
        1 => format!(
            "{} OR {}",
            filter(r, sessions, depth - 1),
            filter(r, sessions, depth - 1)
        ),
        _ => format!(
            "{} AND {}",
            filter(r, sessions, depth - 1),
            filter(r, sessions, depth - 1)
        ),
    }
}

fn wrap(r: &mut Rng, sessions: &[Seen], depth: usize) -> String {
    let inner = filter(r, sessions, depth);
    if inner.contains(' ') && r.below(4) != 0 {
        format!("({inner})")
    } else {
        condition(r, sessions)
    }
}

fn sort(r: &mut Rng) -> Option<String> {
    let operand = *r.pick(&[
        "gameSessionName",
        "maximumSessions",
        "creationTimeMillis",
        "playerSessionCount",
        "hasAvailablePlayerSessions",
        "gameSessionProperties.mode",
        "gameSessionProperties.map",
        "gameSessionId",
    ]);
    (r.below(4) != 0).then(|| format!("{operand} {}", r.pick(&["ASC", "DESC"])))
}

/// Every page of the emulator's answer, in order.
async fn emulator_search(
    gl: &Client,
    fleet: &str,
    filter: &str,
    sort: Option<&str>,
) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = gl
            .search_game_sessions()
            .fleet_id(fleet)
            .filter_expression(filter)
            .set_sort_expression(sort.map(str::to_string))
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| e.code().unwrap_or_default().to_string())?;
        ids.extend(
            page.game_sessions()
                .iter()
                .map(|g| g.game_session_id().unwrap().to_string()),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(ids);
        }
    }
}

/// The sessions of one fleet, varied in every searchable attribute.
async fn sessions(emu: &gamelift_emulator::RunningEmulator, gl: &Client) -> (String, Vec<Seen>) {
    emu.admin()
        .game_servers(serde_json::json!({"sessionDurationSeconds": 30 * 86_400}))
        .await
        .unwrap();
    let (fleet, _) = active_fleet(gl, 40, &[]).await;
    scale_fleet(gl, &fleet, 2).await;
    let mut r = Rng(7);
    let mut ids = Vec::new();
    for i in 0..48 {
        let mut req = gl
            .create_game_session()
            .fleet_id(&fleet)
            .maximum_player_session_count(1 + r.below(12) as i32);
        if r.below(5) != 0 {
            req = req.name(*r.pick(&NAMES));
        }
        req = req.game_properties(
            GameProperty::builder()
                .key("mode")
                .value(*r.pick(&MODES))
                .build(),
        );
        if r.below(2) == 0 {
            req = req.game_properties(
                GameProperty::builder()
                    .key("map")
                    .value(*r.pick(&MAPS))
                    .build(),
            );
        }
        let gs = req.send().await.unwrap();
        ids.push((
            i,
            gs.game_session()
                .unwrap()
                .game_session_id()
                .unwrap()
                .to_string(),
        ));
    }
    wait_active_game_sessions(gl, &fleet, 48).await;
    for (i, id) in &ids {
        let d = gl
            .describe_game_sessions()
            .game_session_id(id)
            .send()
            .await
            .unwrap();
        let max = d.game_sessions()[0].maximum_player_session_count().unwrap() as usize;
        let n = r.below(max + 1).min(5);
        if n > 0 {
            let mut req = gl.create_player_sessions().game_session_id(id);
            for p in 0..n {
                req = req.player_ids(format!("p{i}-{p}"));
            }
            req.send().await.unwrap();
        }
        if r.below(6) == 0 {
            gl.update_game_session()
                .game_session_id(id)
                .player_session_creation_policy(PlayerSessionCreationPolicy::DenyAll)
                .send()
                .await
                .unwrap();
        }
    }
    // Every reservation accepted, then the clock stops: the counts stay as described.
    emu.admin().advance(5.0).await.unwrap();
    emu.admin().set_speed(0.0).await.unwrap();
    let all = gl
        .describe_game_sessions()
        .fleet_id(&fleet)
        .limit(100)
        .send()
        .await
        .unwrap();
    // The SDK truncates wire timestamps to whole milliseconds, which can drop one; the
    // creation times compared are the emulator's own.
    let state = emu.admin().state().await.unwrap();
    let created: std::collections::HashMap<&str, i64> = state["state"]["gameSessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["id"].as_str().unwrap(), g["created"].as_i64().unwrap()))
        .collect();
    let seen = all
        .game_sessions()
        .iter()
        .map(|g| {
            let mut s = Seen::of(g);
            s.created_ms = created[s.id.as_str()];
            s
        })
        .collect();
    (fleet, seen)
}

#[tokio::test]
async fn generated_filters_and_sorts_select_and_order_the_same_sessions_in_the_emulator_and_in_hangar(
) {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, all) = sessions(&emu, &gl).await;
    assert_eq!(all.len(), 48);
    let mut r = Rng(2026);
    let mut matched_any = 0;
    let cases = 250;
    for n in 0..cases {
        let f = filter(&mut r, &all, 3);
        let s = sort(&mut r);
        let ours = emulator_search(&gl, &fleet, &f, s.as_deref())
            .await
            .unwrap_or_else(|e| panic!("case {n}: the emulator refused {f:?} / {s:?}: {e}"));
        let parsed =
            parse_filter(&f).unwrap_or_else(|e| panic!("case {n}: Hangar refused {f:?}: {e}"));
        let mut theirs: Vec<&Seen> = all.iter().filter(|x| parsed.matches(*x)).collect();
        let ours_set: BTreeSet<&str> = ours.iter().map(String::as_str).collect();
        let theirs_set: BTreeSet<&str> = theirs.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(
            ours_set, theirs_set,
            "case {n}: {f:?} matched different sessions"
        );
        assert_eq!(
            ours.len(),
            ours_set.len(),
            "case {n}: a session answered twice across pages"
        );
        matched_any += usize::from(!ours.is_empty());
        if let Some(s) = &s {
            let sorted = parse_sort(s).unwrap();
            theirs.sort_by(|a, b| sorted.compare(*a, *b));
            let by_id = |id: &str| all.iter().find(|x| x.id == id).unwrap();
            let key = |x: &Seen| -> Option<String> {
                x.attribute(&sorted.attribute)
                    .map(|v: AttributeValue<'_>| format!("{v:?}"))
            };
            let ours_keys: Vec<_> = ours.iter().map(|id| key(by_id(id))).collect();
            let theirs_keys: Vec<_> = theirs.iter().map(|x| key(x)).collect();
            assert_eq!(
                ours_keys, theirs_keys,
                "case {n}: {f:?} sorted by {s:?} in different orders"
            );
        }
    }
    assert!(
        matched_any > cases / 3,
        "too few cases matched anything ({matched_any} of {cases})"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn malformed_expressions_are_refused_by_both() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let (fleet, _) = active_fleet(&gl, 1, &[]).await;
    for bad in [
        "maximumSessions >",
        "maximumSessions > 'ten'",
        "gameSessionName < 'a'",
        "hasAvailablePlayerSessions > true",
        "(maximumSessions = 1",
        "maximumSessions = 1)",
        "mode = 'x'",
        "maximumSessions = 1 maximumSessions = 2",
        "gameSessionName = 'open",
        "AND maximumSessions = 1",
        "NOT",
    ] {
        let e = emulator_search(&gl, &fleet, bad, None).await.unwrap_err();
        assert_eq!(e, "InvalidRequestException", "{bad}");
        assert!(parse_filter(bad).is_err(), "Hangar accepted {bad:?}");
    }
    for bad in [
        "maximumSessions",
        "maximumSessions UP",
        "players ASC",
        "maximumSessions ASC DESC",
    ] {
        let e = gl
            .search_game_sessions()
            .fleet_id(&fleet)
            .sort_expression(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("InvalidRequestException"), "{bad}");
        assert!(parse_sort(bad).is_err(), "Hangar accepted {bad:?}");
    }
    emu.shutdown().await;
}
