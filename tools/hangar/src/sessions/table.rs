//! Readable tables for `hangar sessions`: columns as wide as their widest cell.

use serde_json::Value;

/// A table: header and rows of text cells.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, one line per row, columns separated by two spaces.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                if i + 1 == widths.len() {
                    out.push_str(cell);
                } else {
                    out.push_str(cell);
                    out.push_str(&" ".repeat(w - cell.chars().count() + 2));
                }
            }
            out.trim_end().to_string()
        };
        let mut out = line(&self.header);
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }
}

/// A JSON value as a cell: strings without quotes, absent as `-`.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `k=v, k=v` of a properties object.
pub fn properties(v: &Value) -> String {
    match v.as_object() {
        Some(map) if !map.is_empty() => map
            .iter()
            .map(|(k, v)| format!("{k}={}", cell(v)))
            .collect::<Vec<_>>()
            .join(", "),
        _ => "-".into(),
    }
}

/// `ip:port` when both are known.
pub fn address(v: &Value) -> String {
    match (v["ipAddress"].as_str(), v["port"].as_u64()) {
        (Some(ip), Some(port)) => format!("{ip}:{port}"),
        _ => "-".into(),
    }
}

/// Unix milliseconds as UTC `YYYY-MM-DD HH:MM:SS`.
pub fn millis(v: &Value) -> String {
    let Some(ms) = v.as_i64() else {
        return "-".into();
    };
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let mut t = Table::new(&["id", "status"]);
        t.row(vec!["a-long-id".into(), "ACTIVE".into()]);
        t.row(vec!["b".into(), "ACTIVATING".into()]);
        assert_eq!(
            t.render(),
            "id         status\na-long-id  ACTIVE\nb          ACTIVATING\n"
        );
    }

    #[test]
    fn cells_of_json_values() {
        assert_eq!(cell(&json!(null)), "-");
        assert_eq!(cell(&json!("x")), "x");
        assert_eq!(cell(&json!(3)), "3");
        assert_eq!(
            properties(&json!({"mode": "ranked", "map": "dune"})),
            "map=dune, mode=ranked"
        );
        assert_eq!(
            address(&json!({"ipAddress": "127.0.0.1", "port": 7001})),
            "127.0.0.1:7001"
        );
        assert_eq!(address(&json!({})), "-");
        assert_eq!(millis(&json!(0)), "1970-01-01 00:00:00");
    }
}
