//! The expression language of SearchGameSessions, as GameLift's API reference describes
//! it: a `FilterExpression` of conditions (`operand comparator value`) joined with `AND`,
//! `OR`, `NOT` and parentheses (precedence: comparisons, parentheses, `NOT`, `AND`, `OR`),
//! and a `SortExpression` (`operand ASC|DESC`).
//!
//! Operands: `gameSessionId`, `gameSessionName`, `gameSessionProperties.<key>` (strings),
//! `maximumSessions`, `creationTimeMillis`, `playerSessionCount` (numbers),
//! `hasAvailablePlayerSessions` (boolean). Strings are quoted (`'...'` as the reference
//! says, `"..."` as its property example writes them), case sensitive, with `\` escaping
//! the next character; strings and booleans take only `=` and `<>`. Game property values
//! are searched as strings. A session without the operand (no name, no such property)
//! equals nothing, so only `<>` holds for it; sorted, such sessions come last. Keywords
//! are case-insensitive, operand names are not.

use std::cmp::Ordering;

/// What an expression is evaluated against: one game session's searchable attributes.
pub trait Subject {
    fn id(&self) -> &str;
    fn name(&self) -> Option<&str>;
    fn property(&self, key: &str) -> Option<&str>;
    fn maximum_sessions(&self) -> i64;
    fn creation_time_millis(&self) -> i64;
    fn player_session_count(&self) -> i64;
    fn has_available_player_sessions(&self) -> bool;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    Id,
    Name,
    Property(String),
    MaximumSessions,
    CreationTimeMillis,
    PlayerSessionCount,
    HasAvailablePlayerSessions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Text(String),
    Number(i64),
    Bool(bool),
}

/// A parsed `FilterExpression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Compare(Operand, Comparator, Literal),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// A parsed `SortExpression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortBy {
    pub operand: Operand,
    pub descending: bool,
}

/// Why an expression does not parse; `at` is the 1-based character position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub at: usize,
    pub reason: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (character {})", self.reason, self.at)
    }
}

/// Deepest nesting of parentheses and `NOT` accepted.
const MAX_NESTING: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Number(i64),
    Cmp(Comparator),
    Open,
    Close,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("'{w}'"),
        Tok::Quoted(_) => "a quoted string".into(),
        Tok::Number(n) => format!("the number {n}"),
        Tok::Cmp(_) => "a comparator".into(),
        Tok::Open => "'('".into(),
        Tok::Close => "')'".into(),
    }
}

fn lex(input: &str) -> Result<Vec<(Tok, usize)>, SyntaxError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, reason: String| SyntaxError { at: at + 1, reason };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                out.push((Tok::Open, start));
                i += 1;
            }
            ')' => {
                out.push((Tok::Close, start));
                i += 1;
            }
            '=' => {
                out.push((Tok::Cmp(Comparator::Eq), start));
                i += 1;
            }
            '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (cmp, len) = match (c, next) {
                    ('<', Some('>')) => (Comparator::Ne, 2),
                    ('<', Some('=')) => (Comparator::Le, 2),
                    ('>', Some('=')) => (Comparator::Ge, 2),
                    ('<', _) => (Comparator::Lt, 1),
                    _ => (Comparator::Gt, 1),
                };
                out.push((Tok::Cmp(cmp), start));
                i += len;
            }
            '\'' | '"' => {
                let quote = c;
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(err(start, "the string is never closed".into())),
                        Some('\\') => match chars.get(i + 1) {
                            Some(escaped) => {
                                text.push(*escaped);
                                i += 2;
                            }
                            None => {
                                return Err(err(i, "a '\\' ends the expression".into()));
                            }
                        },
                        Some(q) if *q == quote => {
                            i += 1;
                            break;
                        }
                        Some(other) => {
                            text.push(*other);
                            i += 1;
                        }
                    }
                }
                out.push((Tok::Quoted(text), start));
            }
            _ if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                i += 1;
                while chars.get(i).is_some_and(char::is_ascii_digit) {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let n = text
                    .parse::<i64>()
                    .map_err(|_| err(start, format!("the number {text} is out of range")))?;
                out.push((Tok::Number(n), start));
            }
            _ => {
                while chars
                    .get(i)
                    .is_some_and(|ch| !ch.is_whitespace() && !"()=<>'\"".contains(*ch))
                {
                    i += 1;
                }
                if i == start {
                    return Err(err(start, format!("unexpected character '{c}'")));
                }
                out.push((Tok::Word(chars[start..i].iter().collect()), start));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn new(input: &str) -> Result<Self, SyntaxError> {
        Ok(Self {
            toks: lex(input)?,
            pos: 0,
            end: input.chars().count(),
        })
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(_, at)| *at) + 1
    }

    fn fail<T>(&self, reason: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            at: self.at(),
            reason: reason.into(),
        })
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn or(&mut self, depth: usize) -> Result<Expr, SyntaxError> {
        let mut parts = vec![self.and(depth)?];
        while self.keyword("OR") {
            self.pos += 1;
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, SyntaxError> {
        let mut parts = vec![self.unary(depth)?];
        while self.keyword("AND") {
            self.pos += 1;
            parts.push(self.unary(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, SyntaxError> {
        if depth >= MAX_NESTING {
            return self.fail(format!("nested more than {MAX_NESTING} levels deep"));
        }
        if self.keyword("NOT") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.peek() == Some(&Tok::Open) {
            let open = self.at();
            self.pos += 1;
            let inner = self.or(depth + 1)?;
            if self.peek() != Some(&Tok::Close) {
                return self.fail(format!("the '(' at character {open} is not closed"));
            }
            self.pos += 1;
            return Ok(inner);
        }
        self.condition()
    }

    fn operand(&mut self) -> Result<Operand, SyntaxError> {
        let Some(Tok::Word(w)) = self.peek().cloned() else {
            return match self.peek() {
                Some(t) => self.fail(format!("expected an operand, found {}", describe(t))),
                None => self.fail("expected an operand, found the end"),
            };
        };
        let operand = match w.as_str() {
            "gameSessionId" => Operand::Id,
            "gameSessionName" => Operand::Name,
            "maximumSessions" => Operand::MaximumSessions,
            "creationTimeMillis" => Operand::CreationTimeMillis,
            "playerSessionCount" => Operand::PlayerSessionCount,
            "hasAvailablePlayerSessions" => Operand::HasAvailablePlayerSessions,
            other => match other.strip_prefix("gameSessionProperties.") {
                Some(key) if !key.is_empty() => Operand::Property(key.to_string()),
                _ => {
                    return self.fail(format!(
                        "'{other}' is not an operand (gameSessionId, gameSessionName, \
                         gameSessionProperties.<key>, maximumSessions, creationTimeMillis, \
                         playerSessionCount, hasAvailablePlayerSessions)"
                    ))
                }
            },
        };
        self.pos += 1;
        Ok(operand)
    }

    fn condition(&mut self) -> Result<Expr, SyntaxError> {
        let operand = self.operand()?;
        let Some(Tok::Cmp(cmp)) = self.peek().cloned() else {
            return match self.peek() {
                Some(t) => self.fail(format!("expected a comparator, found {}", describe(t))),
                None => self.fail("expected a comparator, found the end"),
            };
        };
        self.pos += 1;
        let literal = match self.peek().cloned() {
            Some(Tok::Quoted(s)) => Literal::Text(s),
            Some(Tok::Number(n)) => Literal::Number(n),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(t) => return self.fail(format!("expected a value, found {}", describe(&t))),
            None => return self.fail("expected a value, found the end"),
        };
        let kind_ok = matches!(
            (&operand, &literal),
            (
                Operand::Id | Operand::Name | Operand::Property(_),
                Literal::Text(_)
            ) | (
                Operand::MaximumSessions
                    | Operand::CreationTimeMillis
                    | Operand::PlayerSessionCount,
                Literal::Number(_)
            ) | (Operand::HasAvailablePlayerSessions, Literal::Bool(_))
        );
        if !kind_ok {
            let wanted = match operand {
                Operand::Id | Operand::Name | Operand::Property(_) => "a quoted string",
                Operand::HasAvailablePlayerSessions => "true or false",
                _ => "a number",
            };
            return self.fail(format!("this operand is compared with {wanted}"));
        }
        if !matches!(literal, Literal::Number(_)) && !matches!(cmp, Comparator::Eq | Comparator::Ne)
        {
            return self.fail("strings and booleans take only = and <>");
        }
        self.pos += 1;
        Ok(Expr::Compare(operand, cmp, literal))
    }
}

/// Parses a `FilterExpression`.
pub fn parse_filter(input: &str) -> Result<Expr, SyntaxError> {
    let mut p = Parser::new(input)?;
    if p.peek().is_none() {
        return p.fail("the filter is empty");
    }
    let e = p.or(0)?;
    match p.peek() {
        None => Ok(e),
        Some(t) => p.fail(format!(
            "expected AND, OR or the end, found {}",
            describe(t)
        )),
    }
}

/// Parses a `SortExpression`.
pub fn parse_sort(input: &str) -> Result<SortBy, SyntaxError> {
    let mut p = Parser::new(input)?;
    let operand = p.operand()?;
    let descending = if p.keyword("ASC") {
        false
    } else if p.keyword("DESC") {
        true
    } else {
        return match p.peek() {
            Some(t) => p.fail(format!("expected ASC or DESC, found {}", describe(t))),
            None => p.fail("expected ASC or DESC, found the end"),
        };
    };
    p.pos += 1;
    match p.peek() {
        None => Ok(SortBy {
            operand,
            descending,
        }),
        Some(t) => p.fail(format!("expected the end, found {}", describe(t))),
    }
}

/// The value a session holds for an operand.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Held<'a> {
    Bool(bool),
    Number(i64),
    Text(&'a str),
}

fn held<'a, S: Subject + ?Sized>(s: &'a S, o: &Operand) -> Option<Held<'a>> {
    Some(match o {
        Operand::Id => Held::Text(s.id()),
        Operand::Name => Held::Text(s.name()?),
        Operand::Property(k) => Held::Text(s.property(k)?),
        Operand::MaximumSessions => Held::Number(s.maximum_sessions()),
        Operand::CreationTimeMillis => Held::Number(s.creation_time_millis()),
        Operand::PlayerSessionCount => Held::Number(s.player_session_count()),
        Operand::HasAvailablePlayerSessions => Held::Bool(s.has_available_player_sessions()),
    })
}

impl Expr {
    pub fn holds<S: Subject + ?Sized>(&self, s: &S) -> bool {
        match self {
            Expr::Not(e) => !e.holds(s),
            Expr::And(all) => all.iter().all(|e| e.holds(s)),
            Expr::Or(any) => any.iter().any(|e| e.holds(s)),
            Expr::Compare(operand, cmp, literal) => {
                let ordering = match (held(s, operand), literal) {
                    (Some(Held::Text(a)), Literal::Text(b)) => a.cmp(b.as_str()),
                    (Some(Held::Number(a)), Literal::Number(b)) => a.cmp(b),
                    (Some(Held::Bool(a)), Literal::Bool(b)) => a.cmp(b),
                    // Nothing held (or, after parsing, never: a kind mismatch).
                    _ => return *cmp == Comparator::Ne,
                };
                match cmp {
                    Comparator::Eq => ordering == Ordering::Equal,
                    Comparator::Ne => ordering != Ordering::Equal,
                    Comparator::Lt => ordering == Ordering::Less,
                    Comparator::Le => ordering != Ordering::Greater,
                    Comparator::Gt => ordering == Ordering::Greater,
                    Comparator::Ge => ordering != Ordering::Less,
                }
            }
        }
    }
}

impl SortBy {
    /// The order of two sessions; sessions without the operand come last either way.
    pub fn order<S: Subject + ?Sized>(&self, a: &S, b: &S) -> Ordering {
        match (held(a, &self.operand), held(b, &self.operand)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) if self.descending => y.cmp(&x),
            (Some(x), Some(y)) => x.cmp(&y),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct S {
        name: Option<&'static str>,
        max: i64,
        players: i64,
        props: Vec<(&'static str, &'static str)>,
    }

    impl Subject for S {
        fn id(&self) -> &str {
            "arn:gs"
        }
        fn name(&self) -> Option<&str> {
            self.name
        }
        fn property(&self, key: &str) -> Option<&str> {
            self.props.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        }
        fn maximum_sessions(&self) -> i64 {
            self.max
        }
        fn creation_time_millis(&self) -> i64 {
            1_000
        }
        fn player_session_count(&self) -> i64 {
            self.players
        }
        fn has_available_player_sessions(&self) -> bool {
            self.players < self.max
        }
    }

    fn s(name: Option<&'static str>, max: i64, players: i64) -> S {
        S {
            name,
            max,
            players,
            props: vec![("mode", "brawl")],
        }
    }

    #[test]
    fn the_documented_examples_parse_and_hold() {
        let e = parse_filter("maximumSessions>=10 AND hasAvailablePlayerSessions=true").unwrap();
        assert!(e.holds(&s(None, 10, 3)));
        assert!(!e.holds(&s(None, 10, 10)));
        let e = parse_filter(r"gameSessionName = 'Matt\'s Awesome Game 1'").unwrap();
        assert!(e.holds(&s(Some("Matt's Awesome Game 1"), 1, 0)));
        let e = parse_filter("gameSessionProperties.mode = \"brawl\"").unwrap();
        assert!(e.holds(&s(None, 1, 0)));
    }

    #[test]
    fn not_binds_tighter_than_and_and_and_tighter_than_or() {
        // NOT a AND b OR c  ==  ((NOT a) AND b) OR c
        let e = parse_filter(
            "NOT maximumSessions = 1 AND playerSessionCount = 0 OR maximumSessions = 9",
        )
        .unwrap();
        assert!(e.holds(&s(None, 2, 0)));
        assert!(!e.holds(&s(None, 1, 0)));
        assert!(e.holds(&s(None, 9, 5)));
        let p = parse_filter("NOT (maximumSessions = 1 OR maximumSessions = 2)").unwrap();
        assert!(!p.holds(&s(None, 2, 0)));
    }

    #[test]
    fn a_missing_name_or_property_equals_nothing() {
        let ne = parse_filter("gameSessionName <> 'x'").unwrap();
        let eq = parse_filter("gameSessionProperties.map = 'x'").unwrap();
        assert!(ne.holds(&s(None, 1, 0)));
        assert!(!eq.holds(&s(None, 1, 0)));
    }

    #[test]
    fn malformed_filters_name_the_position() {
        for (bad, at) in [
            ("maximumSessions >", 18),
            ("maximumSessions > 'ten'", 19),
            ("gameSessionName < 'a'", 19),
            ("(maximumSessions = 1", 21),
            ("mode = 'x'", 1),
            ("maximumSessions = 1 maximumSessions = 2", 21),
            ("gameSessionName = 'open", 19),
        ] {
            let e = parse_filter(bad).unwrap_err();
            assert_eq!(e.at, at, "{bad}: {e}");
        }
    }

    #[test]
    fn sorting_puts_sessions_without_the_operand_last_in_both_directions() {
        let a = s(Some("b"), 1, 0);
        let b = s(Some("a"), 1, 0);
        let none = s(None, 1, 0);
        for dir in ["ASC", "DESC"] {
            let sort = parse_sort(&format!("gameSessionName {dir}")).unwrap();
            let mut v = [&none, &a, &b];
            v.sort_by(|x, y| sort.order(*x, *y));
            assert!(v[2].name.is_none(), "{dir}");
        }
        let asc = parse_sort("gameSessionName asc").unwrap();
        assert_eq!(asc.order(&b, &a), Ordering::Less);
        assert!(parse_sort("gameSessionName").is_err());
        assert!(parse_sort("gameSessionName UP").is_err());
    }
}
