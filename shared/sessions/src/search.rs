//! GameLift's game-session search language: `FilterExpression` and `SortExpression`
//! of `SearchGameSessions`, parsed into a public syntax tree and evaluated against any
//! [`Searchable`] game session. The listing ([`crate::listing`]) plans and filters with
//! it. Pure: no I/O.
//!
//! Grammar (as GameLift documents it):
//! ```text
//! filter     := or
//! or         := and ( "OR" and )*
//! and        := not ( "AND" not )*
//! not        := "NOT" not | primary
//! primary    := "(" or ")" | condition
//! condition  := operand comparator value
//! operand    := gameSessionName | gameSessionId | maximumSessions | creationTimeMillis
//!             | playerSessionCount | hasAvailablePlayerSessions | gameSessionProperties.<key>
//! comparator := = | <> | < | > | <= | >=
//! value      := 'string' | "string" (backslash escapes) | integer | true | false
//! sort       := operand ( ASC | DESC )
//! ```
//! Keywords (`AND`, `OR`, `NOT`, `ASC`, `DESC`, `true`, `false`) are case-insensitive;
//! operand names are case-sensitive. Strings and booleans take only `=` and `<>`.
//! Error positions are 1-based character columns.

use std::cmp::Ordering;
use std::fmt;

/// Longest expression accepted (GameLift's `NonZeroAndMaxString` is 1024 characters).
pub const MAX_EXPRESSION_CHARS: usize = 1024;
/// Deepest nesting of parentheses and `NOT` accepted, so hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 32;

/// A game-session attribute that a filter or sort can name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Attribute {
    GameSessionName,
    GameSessionId,
    MaximumSessions,
    CreationTimeMillis,
    PlayerSessionCount,
    HasAvailablePlayerSessions,
    /// `gameSessionProperties.<key>`
    Property(String),
}

impl Attribute {
    fn kind(&self) -> Kind {
        match self {
            Attribute::GameSessionName | Attribute::GameSessionId => Kind::Text,
            Attribute::MaximumSessions
            | Attribute::CreationTimeMillis
            | Attribute::PlayerSessionCount => Kind::Number,
            Attribute::HasAvailablePlayerSessions => Kind::Bool,
            Attribute::Property(_) => Kind::Property,
        }
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attribute::GameSessionName => f.write_str("gameSessionName"),
            Attribute::GameSessionId => f.write_str("gameSessionId"),
            Attribute::MaximumSessions => f.write_str("maximumSessions"),
            Attribute::CreationTimeMillis => f.write_str("creationTimeMillis"),
            Attribute::PlayerSessionCount => f.write_str("playerSessionCount"),
            Attribute::HasAvailablePlayerSessions => f.write_str("hasAvailablePlayerSessions"),
            Attribute::Property(key) => write!(f, "gameSessionProperties.{key}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Bool,
    /// Property values are strings; a number compares numerically with a property whose
    /// value parses as a number.
    Property,
}

/// A literal in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(i64),
    Bool(bool),
}

/// A comparator of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Comparator {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Comparator::Eq => ordering == Ordering::Equal,
            Comparator::Ne => ordering != Ordering::Equal,
            Comparator::Lt => ordering == Ordering::Less,
            Comparator::Gt => ordering == Ordering::Greater,
            Comparator::Le => ordering != Ordering::Greater,
            Comparator::Ge => ordering != Ordering::Less,
        }
    }

    fn is_equality(self) -> bool {
        matches!(self, Comparator::Eq | Comparator::Ne)
    }
}

/// One `operand comparator value` condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub attribute: Attribute,
    pub comparator: Comparator,
    pub value: Value,
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Condition(Condition),
    Not(Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// A parsed sort expression. Sessions lacking the attribute (a missing property) sort last
/// whatever the direction, as GameLift does.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    pub attribute: Attribute,
    pub direction: Direction,
}

/// The value a session holds for an attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue<'a> {
    Text(&'a str),
    Number(i64),
    Bool(bool),
}

/// Anything searchable as a game session: our table's items, the emulator's sessions.
pub trait Searchable {
    fn game_session_id(&self) -> &str;
    fn game_session_name(&self) -> Option<&str>;
    fn maximum_sessions(&self) -> i64;
    fn creation_time_millis(&self) -> i64;
    fn player_session_count(&self) -> i64;
    fn has_available_player_sessions(&self) -> bool;
    fn property(&self, key: &str) -> Option<&str>;

    /// The value of `attribute` for this session, `None` when it has none.
    fn attribute(&self, attribute: &Attribute) -> Option<AttributeValue<'_>> {
        Some(match attribute {
            Attribute::GameSessionName => AttributeValue::Text(self.game_session_name()?),
            Attribute::GameSessionId => AttributeValue::Text(self.game_session_id()),
            Attribute::MaximumSessions => AttributeValue::Number(self.maximum_sessions()),
            Attribute::CreationTimeMillis => AttributeValue::Number(self.creation_time_millis()),
            Attribute::PlayerSessionCount => AttributeValue::Number(self.player_session_count()),
            Attribute::HasAvailablePlayerSessions => {
                AttributeValue::Bool(self.has_available_player_sessions())
            }
            Attribute::Property(key) => AttributeValue::Text(self.property(key)?),
        })
    }
}

/// Where and why an expression does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct ParseError {
    /// 1-based character column of the offending token (length + 1 at end of input).
    pub position: usize,
    pub message: String,
}

impl Filter {
    /// True when `session` satisfies the filter.
    pub fn matches<S: Searchable + ?Sized>(&self, session: &S) -> bool {
        match self {
            Filter::Condition(c) => c.matches(session),
            Filter::Not(inner) => !inner.matches(session),
            Filter::And(a, b) => a.matches(session) && b.matches(session),
            Filter::Or(a, b) => a.matches(session) || b.matches(session),
        }
    }

    /// The conditions that every matching session must satisfy (the top-level `AND` chain),
    /// for planning an index query.
    pub fn required_conditions(&self) -> Vec<&Condition> {
        match self {
            Filter::Condition(c) => vec![c],
            Filter::And(a, b) => {
                let mut all = a.required_conditions();
                all.extend(b.required_conditions());
                all
            }
            Filter::Not(_) | Filter::Or(_, _) => Vec::new(),
        }
    }
}

impl Condition {
    fn matches<S: Searchable + ?Sized>(&self, session: &S) -> bool {
        let Some(actual) = session.attribute(&self.attribute) else {
            // A missing property (or name) equals nothing and differs from everything.
            return self.comparator == Comparator::Ne;
        };
        let ordering = match (&actual, &self.value) {
            (AttributeValue::Text(a), Value::Text(b)) => Some((*a).cmp(b.as_str())),
            (AttributeValue::Number(a), Value::Number(b)) => Some(a.cmp(b)),
            (AttributeValue::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (AttributeValue::Text(a), Value::Number(b)) => a.parse::<i64>().ok().map(|a| a.cmp(b)),
            _ => None,
        };
        match ordering {
            Some(ordering) => self.comparator.holds(ordering),
            None => self.comparator == Comparator::Ne,
        }
    }
}

impl Sort {
    /// Orders two sessions by this sort; sessions without the attribute go last.
    pub fn compare<A: Searchable + ?Sized, B: Searchable + ?Sized>(
        &self,
        a: &A,
        b: &B,
    ) -> Ordering {
        match (a.attribute(&self.attribute), b.attribute(&self.attribute)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                let ordering = compare_values(&x, &y);
                match self.direction {
                    Direction::Asc => ordering,
                    Direction::Desc => ordering.reverse(),
                }
            }
        }
    }
}

fn compare_values(a: &AttributeValue<'_>, b: &AttributeValue<'_>) -> Ordering {
    match (a, b) {
        (AttributeValue::Number(x), AttributeValue::Number(y)) => x.cmp(y),
        (AttributeValue::Bool(x), AttributeValue::Bool(y)) => x.cmp(y),
        (AttributeValue::Text(x), AttributeValue::Text(y)) => {
            // Numeric property values sort as numbers.
            match (x.parse::<i64>(), y.parse::<i64>()) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                _ => x.cmp(y),
            }
        }
        _ => Ordering::Equal,
    }
}

/// Parses a GameLift `FilterExpression`.
pub fn parse_filter(input: &str) -> Result<Filter, ParseError> {
    let mut parser = Parser::new(input)?;
    if parser.peek().is_none() {
        return Err(parser.error_here("the filter is empty"));
    }
    let filter = parser.or(0)?;
    match parser.peek() {
        None => Ok(filter),
        Some(token) => Err(ParseError {
            position: token.position,
            message: format!(
                "expected AND, OR or the end of the filter, found {}",
                token.kind
            ),
        }),
    }
}

/// Parses a GameLift `SortExpression`: one operand and `ASC` or `DESC`.
pub fn parse_sort(input: &str) -> Result<Sort, ParseError> {
    let mut parser = Parser::new(input)?;
    let attribute = parser.operand()?;
    let direction = match parser.next() {
        Some(Token {
            kind: TokenKind::Word(w),
            ..
        }) if w.eq_ignore_ascii_case("ASC") => Direction::Asc,
        Some(Token {
            kind: TokenKind::Word(w),
            ..
        }) if w.eq_ignore_ascii_case("DESC") => Direction::Desc,
        Some(token) => {
            return Err(ParseError {
                position: token.position,
                message: format!("expected ASC or DESC, found {}", token.kind),
            })
        }
        None => return Err(parser.error_here("expected ASC or DESC after the sort operand")),
    };
    match parser.peek() {
        None => Ok(Sort {
            attribute,
            direction,
        }),
        Some(token) => Err(ParseError {
            position: token.position,
            message: format!(
                "expected the end of the sort expression, found {}",
                token.kind
            ),
        }),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum TokenKind {
    Word(String),
    Text(String),
    Number(i64),
    Comparator(Comparator),
    Open,
    Close,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenKind::Word(w) => write!(f, "'{w}'"),
            TokenKind::Text(_) => f.write_str("a string"),
            TokenKind::Number(n) => write!(f, "the number {n}"),
            TokenKind::Comparator(_) => f.write_str("a comparator"),
            TokenKind::Open => f.write_str("'('"),
            TokenKind::Close => f.write_str("')'"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: TokenKind,
    position: usize,
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    end: usize,
}

impl Parser {
    fn new(input: &str) -> Result<Self, ParseError> {
        let count = input.chars().count();
        if count > MAX_EXPRESSION_CHARS {
            return Err(ParseError {
                position: MAX_EXPRESSION_CHARS + 1,
                message: format!("the expression is longer than {MAX_EXPRESSION_CHARS} characters"),
            });
        }
        Ok(Parser {
            tokens: tokenize(input)?,
            next: 0,
            end: count + 1,
        })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).cloned();
        self.next += 1;
        token
    }

    fn error_here(&self, message: &str) -> ParseError {
        let position = self.peek().map_or(self.end, |t| t.position);
        ParseError {
            position,
            message: message.to_string(),
        }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: TokenKind::Word(w), .. }) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self, depth: usize) -> Result<Filter, ParseError> {
        let mut left = self.and(depth)?;
        while self.keyword("OR") {
            self.next();
            let right = self.and(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Filter, ParseError> {
        let mut left = self.not(depth)?;
        while self.keyword("AND") {
            self.next();
            let right = self.not(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self, depth: usize) -> Result<Filter, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error_here("the filter nests too deeply"));
        }
        if self.keyword("NOT") {
            self.next();
            return Ok(Filter::Not(Box::new(self.not(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Filter, ParseError> {
        if matches!(
            self.peek(),
            Some(Token {
                kind: TokenKind::Open,
                ..
            })
        ) {
            let open = self.next().map_or(self.end, |t| t.position);
            let inner = self.or(depth + 1)?;
            return match self.next() {
                Some(Token {
                    kind: TokenKind::Close,
                    ..
                }) => Ok(inner),
                Some(token) => Err(ParseError {
                    position: token.position,
                    message: format!(
                        "expected ')' to close the '(' at position {open}, found {}",
                        token.kind
                    ),
                }),
                None => Err(ParseError {
                    position: self.end,
                    message: format!("missing ')' to close the '(' at position {open}"),
                }),
            };
        }
        self.condition().map(Filter::Condition)
    }

    fn operand(&mut self) -> Result<Attribute, ParseError> {
        let Some(token) = self.next() else {
            return Err(ParseError {
                position: self.end,
                message: "expected an operand".into(),
            });
        };
        let TokenKind::Word(word) = &token.kind else {
            return Err(ParseError {
                position: token.position,
                message: format!("expected an operand, found {}", token.kind),
            });
        };
        let attribute = match word.as_str() {
            "gameSessionName" => Attribute::GameSessionName,
            "gameSessionId" => Attribute::GameSessionId,
            "maximumSessions" => Attribute::MaximumSessions,
            "creationTimeMillis" => Attribute::CreationTimeMillis,
            "playerSessionCount" => Attribute::PlayerSessionCount,
            "hasAvailablePlayerSessions" => Attribute::HasAvailablePlayerSessions,
            other => match other.strip_prefix("gameSessionProperties.") {
                Some(key) if !key.is_empty() => Attribute::Property(key.to_string()),
                _ => {
                    return Err(ParseError {
                        position: token.position,
                        message: format!(
                            "unknown operand '{other}'; expected gameSessionName, gameSessionId, \
                             maximumSessions, creationTimeMillis, playerSessionCount, \
                             hasAvailablePlayerSessions or gameSessionProperties.<key>"
                        ),
                    })
                }
            },
        };
        Ok(attribute)
    }

    fn condition(&mut self) -> Result<Condition, ParseError> {
        let attribute = self.operand()?;
        let comparator = match self.next() {
            Some(Token {
                kind: TokenKind::Comparator(c),
                ..
            }) => c,
            Some(token) => {
                return Err(ParseError {
                    position: token.position,
                    message: format!(
                        "expected a comparator (=, <>, <, >, <=, >=) after {attribute}, found {}",
                        token.kind
                    ),
                })
            }
            None => {
                return Err(ParseError {
                    position: self.end,
                    message: format!(
                        "expected a comparator (=, <>, <, >, <=, >=) after {attribute}"
                    ),
                })
            }
        };
        let Some(token) = self.next() else {
            return Err(ParseError {
                position: self.end,
                message: format!("expected a value for {attribute}"),
            });
        };
        let value = match &token.kind {
            TokenKind::Text(s) => Value::Text(s.clone()),
            TokenKind::Number(n) => Value::Number(*n),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("true") => Value::Bool(true),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("false") => Value::Bool(false),
            other => {
                return Err(ParseError {
                    position: token.position,
                    message: format!(
                    "expected a value (a 'quoted string', a number, true or false), found {other}"
                ),
                })
            }
        };
        let fits = matches!(
            (attribute.kind(), &value),
            (Kind::Text, Value::Text(_))
                | (Kind::Number, Value::Number(_))
                | (Kind::Bool, Value::Bool(_))
                | (Kind::Property, Value::Text(_) | Value::Number(_))
        );
        if !fits {
            let wanted = match attribute.kind() {
                Kind::Text => "a 'quoted string'",
                Kind::Number => "a number",
                Kind::Bool => "true or false",
                Kind::Property => "a 'quoted string' or a number",
            };
            return Err(ParseError {
                position: token.position,
                message: format!("{attribute} compares with {wanted}"),
            });
        }
        if !matches!(value, Value::Number(_)) && !comparator.is_equality() {
            return Err(ParseError {
                position: token.position,
                message: "strings and booleans compare only with = and <>".into(),
            });
        }
        Ok(Condition {
            attribute,
            comparator,
            value,
        })
    }
}

fn tokenize(input: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let position = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let kind = match c {
            '(' => {
                i += 1;
                TokenKind::Open
            }
            ')' => {
                i += 1;
                TokenKind::Close
            }
            '=' => {
                i += 1;
                TokenKind::Comparator(Comparator::Eq)
            }
            '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (comparator, width) = match (c, next) {
                    ('<', Some('>')) => (Comparator::Ne, 2),
                    ('<', Some('=')) => (Comparator::Le, 2),
                    ('>', Some('=')) => (Comparator::Ge, 2),
                    ('<', _) => (Comparator::Lt, 1),
                    _ => (Comparator::Gt, 1),
                };
                i += width;
                TokenKind::Comparator(comparator)
            }
            quote @ ('\'' | '"') => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(ParseError {
                                position,
                                message: format!("unterminated string (missing closing {quote})"),
                            })
                        }
                        Some('\\') => match chars.get(i + 1) {
                            Some(escaped) => {
                                text.push(*escaped);
                                i += 2;
                            }
                            None => {
                                return Err(ParseError {
                                    position: i + 1,
                                    message: "a backslash ends the expression".into(),
                                })
                            }
                        },
                        Some(c) if *c == quote => {
                            i += 1;
                            break;
                        }
                        Some(other) => {
                            text.push(*other);
                            i += 1;
                        }
                    }
                }
                TokenKind::Text(text)
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let start = i;
                i += 1;
                while chars.get(i).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1;
                }
                let digits: String = chars[start..i].iter().collect();
                let number = digits.parse::<i64>().map_err(|_| ParseError {
                    position,
                    message: format!("the number {digits} is out of range"),
                })?;
                TokenKind::Number(number)
            }
            c if c.is_alphanumeric() || c == '_' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|d| d.is_alphanumeric() || matches!(d, '_' | '.' | '-' | ':'))
                {
                    i += 1;
                }
                TokenKind::Word(chars[start..i].iter().collect())
            }
            other => {
                return Err(ParseError {
                    position,
                    message: format!("unexpected character '{other}'"),
                })
            }
        };
        tokens.push(Token { kind, position });
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Session {
        id: &'static str,
        name: Option<&'static str>,
        max: i64,
        created: i64,
        players: i64,
        props: HashMap<&'static str, &'static str>,
    }

    impl Searchable for Session {
        fn game_session_id(&self) -> &str {
            self.id
        }
        fn game_session_name(&self) -> Option<&str> {
            self.name
        }
        fn maximum_sessions(&self) -> i64 {
            self.max
        }
        fn creation_time_millis(&self) -> i64 {
            self.created
        }
        fn player_session_count(&self) -> i64 {
            self.players
        }
        fn has_available_player_sessions(&self) -> bool {
            self.players < self.max
        }
        fn property(&self, key: &str) -> Option<&str> {
            self.props.get(key).copied()
        }
    }

    fn session(
        id: &'static str,
        players: i64,
        max: i64,
        props: &[(&'static str, &'static str)],
    ) -> Session {
        Session {
            id,
            name: Some(id),
            max,
            created: players * 10,
            players,
            props: props.iter().copied().collect(),
        }
    }

    #[test]
    fn documented_example_matches_sessions_with_ten_seats_and_room() {
        let f = parse_filter("maximumSessions>=10 AND hasAvailablePlayerSessions=true").unwrap();
        assert!(f.matches(&session("a", 3, 10, &[])));
        assert!(!f.matches(&session("b", 10, 10, &[])));
        assert!(!f.matches(&session("c", 1, 8, &[])));
    }

    #[test]
    fn escaped_quote_in_string_value_is_part_of_the_value() {
        let f = parse_filter(r"gameSessionName = 'Matt\'s Awesome Game 1'").unwrap();
        let mut s = session("x", 0, 4, &[]);
        s.name = Some("Matt's Awesome Game 1");
        assert!(f.matches(&s));
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tighter_than_and() {
        let f = parse_filter(
            "playerSessionCount = 1 OR playerSessionCount = 2 AND NOT maximumSessions = 4",
        )
        .unwrap();
        assert_eq!(
            f,
            Filter::Or(
                Box::new(Filter::Condition(Condition {
                    attribute: Attribute::PlayerSessionCount,
                    comparator: Comparator::Eq,
                    value: Value::Number(1)
                })),
                Box::new(Filter::And(
                    Box::new(Filter::Condition(Condition {
                        attribute: Attribute::PlayerSessionCount,
                        comparator: Comparator::Eq,
                        value: Value::Number(2)
                    })),
                    Box::new(Filter::Not(Box::new(Filter::Condition(Condition {
                        attribute: Attribute::MaximumSessions,
                        comparator: Comparator::Eq,
                        value: Value::Number(4)
                    })))),
                )),
            )
        );
    }

    #[test]
    fn parentheses_override_precedence() {
        let f = parse_filter(
            "(playerSessionCount = 1 OR playerSessionCount = 2) AND maximumSessions = 4",
        )
        .unwrap();
        assert!(f.matches(&session("a", 1, 4, &[])));
        assert!(!f.matches(&session("b", 1, 8, &[])));
    }

    #[test]
    fn property_conditions_compare_strings_and_numbers() {
        let s = session("a", 1, 4, &[("mode", "brawl"), ("level", "12")]);
        assert!(parse_filter("gameSessionProperties.mode = 'brawl'")
            .unwrap()
            .matches(&s));
        assert!(parse_filter("gameSessionProperties.mode <> 'duel'")
            .unwrap()
            .matches(&s));
        assert!(parse_filter("gameSessionProperties.level > 9")
            .unwrap()
            .matches(&s));
        assert!(!parse_filter("gameSessionProperties.level < 9")
            .unwrap()
            .matches(&s));
        assert!(!parse_filter("gameSessionProperties.mode > 9")
            .unwrap()
            .matches(&s));
    }

    #[test]
    fn missing_property_equals_nothing_and_differs_from_everything() {
        let s = session("a", 1, 4, &[]);
        assert!(!parse_filter("gameSessionProperties.mode = 'brawl'")
            .unwrap()
            .matches(&s));
        assert!(parse_filter("gameSessionProperties.mode <> 'brawl'")
            .unwrap()
            .matches(&s));
    }

    #[test]
    fn keywords_are_case_insensitive() {
        let f = parse_filter("not playerSessionCount = 1 and hasAvailablePlayerSessions = TRUE")
            .unwrap();
        assert!(f.matches(&session("a", 2, 4, &[])));
    }

    #[test]
    fn required_conditions_lists_the_top_level_and_chain_only() {
        let f = parse_filter("gameSessionProperties.mode = 'x' AND (playerSessionCount = 1 OR playerSessionCount = 2) AND maximumSessions = 4").unwrap();
        let required: Vec<String> = f
            .required_conditions()
            .iter()
            .map(|c| c.attribute.to_string())
            .collect();
        assert_eq!(
            required,
            vec!["gameSessionProperties.mode", "maximumSessions"]
        );
        assert!(parse_filter("NOT maximumSessions = 4")
            .unwrap()
            .required_conditions()
            .is_empty());
    }

    #[test]
    fn errors_name_the_position_of_the_bad_token() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "empty"),
            ("playerSessionCount =", 21, "expected a value"),
            ("playerSessionCount = 'x'", 22, "compares with a number"),
            ("gameSessionName < 'x'", 19, "only with = and <>"),
            ("bogus = 1", 1, "unknown operand"),
            ("maximumSessions = 4 AND", 24, "expected an operand"),
            ("(maximumSessions = 4", 21, "missing ')'"),
            ("maximumSessions = 4)", 20, "expected AND, OR"),
            ("gameSessionName = 'abc", 19, "unterminated string"),
            ("maximumSessions ! 4", 17, "unexpected character"),
            ("maximumSessions 4", 17, "expected a comparator"),
            ("hasAvailablePlayerSessions = 1", 30, "true or false"),
            ("maximumSessions = 99999999999999999999", 19, "out of range"),
        ];
        for (input, position, fragment) in cases {
            let err = parse_filter(input).unwrap_err();
            assert_eq!(err.position, *position, "position for {input:?}: {err}");
            assert!(
                err.message.contains(fragment),
                "message for {input:?}: {err}"
            );
        }
    }

    #[test]
    fn hostile_nesting_and_length_are_refused_not_overflowed() {
        let deep = format!("{}maximumSessions = 1{}", "(".repeat(200), ")".repeat(200));
        assert!(parse_filter(&deep)
            .unwrap_err()
            .message
            .contains("too deeply"));
        let nots = format!("{}maximumSessions = 1", "NOT ".repeat(200));
        assert!(parse_filter(&nots).is_err());
        let long = format!("gameSessionName = '{}'", "a".repeat(2000));
        assert!(parse_filter(&long)
            .unwrap_err()
            .message
            .contains("longer than"));
    }

    #[test]
    fn sort_orders_by_attribute_and_puts_missing_values_last() {
        let a = session("a", 1, 4, &[("rank", "10")]);
        let b = session("b", 3, 4, &[("rank", "9")]);
        let c = session("c", 2, 4, &[]);
        let desc = parse_sort("playerSessionCount DESC").unwrap();
        let mut v = [&a, &b, &c];
        v.sort_by(|x, y| desc.compare(*x, *y));
        assert_eq!(
            v.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec!["b", "c", "a"]
        );

        let by_rank = parse_sort("gameSessionProperties.rank asc").unwrap();
        v.sort_by(|x, y| by_rank.compare(*x, *y));
        assert_eq!(
            v.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec!["b", "a", "c"]
        );
        let by_rank_desc = parse_sort("gameSessionProperties.rank DESC").unwrap();
        v.sort_by(|x, y| by_rank_desc.compare(*x, *y));
        assert_eq!(
            v.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec!["a", "b", "c"]
        );
    }

    #[test]
    fn sort_errors_name_the_position() {
        assert_eq!(parse_sort("playerSessionCount").unwrap_err().position, 19);
        assert_eq!(
            parse_sort("playerSessionCount UP").unwrap_err().position,
            20
        );
        assert_eq!(
            parse_sort("playerSessionCount ASC extra")
                .unwrap_err()
                .position,
            24
        );
        assert_eq!(parse_sort("nope ASC").unwrap_err().position, 1);
    }

    /// A session for the documentation table: `players` of `max`, a name, properties.
    fn doc_session(
        name: &'static str,
        players: i64,
        max: i64,
        props: &[(&'static str, &'static str)],
    ) -> Session {
        Session {
            id: "arn:aws:gamelift:us-west-2::gamesession/fleet-9999ffff-88ee-77dd-66cc-5555bbbb44aa/gsess-1",
            name: Some(name),
            max,
            created: 1,
            players,
            props: props.iter().copied().collect(),
        }
    }

    /// Every FilterExpression example of GameLift's SearchGameSessions documentation (the
    /// API reference, whose text botocore's service model carries too), with sessions it
    /// must match and sessions it must not. The placeholders of the precedence examples
    /// (`x AND y AND NOT z`, `NOT (x OR y)`) are filled with real conditions.
    #[test]
    fn every_documented_filter_example_parses_and_means_what_the_documentation_says() {
        let cases: Vec<(&str, Vec<Session>, Vec<Session>)> = vec![
            (
                // "FilterExpression": "gameSessionName = 'Matt\\'s Awesome Game 1'" (JSON)
                r"gameSessionName = 'Matt\'s Awesome Game 1'",
                vec![doc_session("Matt's Awesome Game 1", 0, 4, &[])],
                vec![
                    doc_session("Matts Awesome Game 1", 0, 4, &[]),
                    doc_session(r"Matt\'s Awesome Game 1", 0, 4, &[]),
                    doc_session("matt's awesome game 1", 0, 4, &[]),
                ],
            ),
            (
                // "at least ten players that have an open player slot"
                "maximumSessions>=10 AND hasAvailablePlayerSessions=true",
                vec![
                    doc_session("a", 3, 10, &[]),
                    doc_session("b", 0, 12, &[]),
                ],
                vec![
                    doc_session("full", 10, 10, &[]),
                    doc_session("small", 1, 8, &[]),
                ],
            ),
            (
                // double-quoted string values, as the operation's documentation writes them
                r#"gameSessionProperties.difficulty = "novice""#,
                vec![doc_session("a", 0, 4, &[("difficulty", "novice")])],
                vec![
                    doc_session("b", 0, 4, &[("difficulty", "expert")]),
                    doc_session("c", 0, 4, &[]),
                ],
            ),
            (
                r#"gameSessionProperties.gameMode = "brawl""#,
                vec![doc_session("a", 0, 4, &[("gameMode", "brawl")])],
                vec![doc_session("b", 0, 4, &[("gameMode", "Brawl")])],
            ),
            (
                // "Search game sessions by custom game properties": AND binds before OR
                "gameSessionProperties.gameMode = 'Ffa' AND gameSessionProperties.gameMap = 'Suzuka' OR gameSessionProperties.gameMap = 'Silverstone'",
                vec![
                    doc_session("a", 0, 4, &[("gameMode", "Ffa"), ("gameMap", "Suzuka")]),
                    doc_session("b", 0, 4, &[("gameMode", "Team"), ("gameMap", "Silverstone")]),
                ],
                vec![
                    doc_session("c", 0, 4, &[("gameMode", "Team"), ("gameMap", "Suzuka")]),
                    doc_session("d", 0, 4, &[("gameMode", "Ffa"), ("gameMap", "Monza")]),
                ],
            ),
            (
                // x AND y AND NOT z
                "maximumSessions >= 4 AND hasAvailablePlayerSessions = true AND NOT gameSessionProperties.mode = 'ranked'",
                vec![doc_session("a", 1, 4, &[("mode", "casual")]), doc_session("b", 1, 4, &[])],
                vec![
                    doc_session("c", 1, 4, &[("mode", "ranked")]),
                    doc_session("d", 4, 4, &[]),
                ],
            ),
            (
                // NOT (x OR y)
                "NOT (gameSessionProperties.mode = 'ranked' OR playerSessionCount > 2)",
                vec![doc_session("a", 2, 8, &[("mode", "casual")])],
                vec![
                    doc_session("b", 0, 8, &[("mode", "ranked")]),
                    doc_session("c", 3, 8, &[]),
                ],
            ),
            (
                // gameSessionId: "You must use the full ARN value"
                "gameSessionId = 'arn:aws:gamelift:us-west-2::gamesession/fleet-9999ffff-88ee-77dd-66cc-5555bbbb44aa/gsess-1'",
                vec![doc_session("a", 0, 4, &[])],
                vec![Session {
                    id: "arn:aws:gamelift:us-west-2::gamesession/fleet-9999ffff-88ee-77dd-66cc-5555bbbb44aa/gsess-2",
                    ..doc_session("b", 0, 4, &[])
                }],
            ),
        ];
        for (filter, yes, no) in cases {
            let f = parse_filter(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
            for s in &yes {
                assert!(
                    f.matches(s),
                    "{filter} should match {:?} {:?}",
                    s.name,
                    s.props
                );
            }
            for s in &no {
                assert!(
                    !f.matches(s),
                    "{filter} should not match {:?} {:?}",
                    s.name,
                    s.props
                );
            }
        }
    }

    /// The SortExpression example ("returns the oldest active sessions first") and its
    /// rule that sessions without the sort operand come last.
    #[test]
    fn every_documented_sort_example_parses_and_orders_as_the_documentation_says() {
        let oldest_first = parse_sort("creationTimeMillis ASC").unwrap();
        let (old, new) = (session("old", 1, 4, &[]), session("new", 2, 4, &[]));
        assert_eq!(oldest_first.compare(&old, &new), Ordering::Less);
        for direction in ["ASC", "DESC"] {
            let by_map = parse_sort(&format!("gameSessionProperties.gameMap {direction}")).unwrap();
            let with = doc_session("a", 0, 4, &[("gameMap", "Suzuka")]);
            let without = doc_session("b", 0, 4, &[]);
            assert_eq!(
                by_map.compare(&with, &without),
                Ordering::Less,
                "{direction}"
            );
        }
    }

    #[test]
    fn a_string_ends_only_at_its_own_kind_of_quote() {
        let f = parse_filter(r#"gameSessionName = "it's""#).unwrap();
        assert!(f.matches(&doc_session("it's", 0, 4, &[])));
        let f = parse_filter(r#"gameSessionName = 'say "hi"'"#).unwrap();
        assert!(f.matches(&doc_session(r#"say "hi""#, 0, 4, &[])));
        let e = parse_filter(r#"gameSessionName = "open"#).unwrap_err();
        assert_eq!(e.position, 19, "{e}");
        assert!(e.message.contains("missing closing \""), "{e}");
    }
}
