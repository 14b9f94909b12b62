//! NextToken paging. A token is an opaque base64 string holding the offset of the next
//! item; a token that does not decode is an InvalidRequestException.

use crate::error::{ApiError, ApiResult};
use crate::wire::Input;
use base64::Engine;

const PREFIX: &str = "page:";

pub fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{PREFIX}{offset}"))
}

pub fn decode_token(token: &str) -> ApiResult<usize> {
    let bad = || ApiError::invalid("NextToken is not a token this service issued");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    text.strip_prefix(PREFIX)
        .and_then(|n| n.parse().ok())
        .ok_or_else(bad)
}

/// One page of `items` by the request's `Limit` (default `default_limit`, at most
/// `max_limit`) and `NextToken`.
pub fn page<'a, T>(
    items: &'a [T],
    i: &Input<'_>,
    default_limit: usize,
    max_limit: usize,
) -> ApiResult<(&'a [T], Option<String>)> {
    let limit = match i.int_opt("Limit")? {
        Some(l) => (l as usize).min(max_limit),
        None => default_limit,
    };
    let start = match i.str_opt("NextToken")? {
        Some(t) => decode_token(t)?,
        None => 0,
    };
    page_slice(items, start, limit)
}

pub fn page_slice<T>(items: &[T], start: usize, limit: usize) -> ApiResult<(&[T], Option<String>)> {
    if start > items.len() {
        return Err(ApiError::invalid("NextToken is out of range"));
    }
    let end = start.saturating_add(limit).min(items.len());
    let next = (end < items.len()).then(|| encode_token(end));
    Ok((&items[start..end], next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_item_once_and_the_last_page_has_no_token() {
        let items: Vec<u32> = (0..45).collect();
        let mut seen = Vec::new();
        let mut start = 0;
        loop {
            let (p, next) = page_slice(&items, start, 20).unwrap();
            seen.extend_from_slice(p);
            match next {
                Some(t) => start = decode_token(&t).unwrap(),
                None => break,
            }
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn a_forged_token_is_rejected() {
        assert_eq!(
            decode_token("nonsense!").unwrap_err().code,
            "InvalidRequestException"
        );
    }
}
