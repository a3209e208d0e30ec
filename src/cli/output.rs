//! How the command line prints listings and descriptions (SPEC §13): `-o table` (aligned columns, the
//! default), `-o json` or `-o yaml` with the API's field names, for `jq` and `yq`.

use crate::domain::Timestamp;
use anyhow::Context;
use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// The API's field names, for `jq`.
    Json,
    /// The same as YAML, for `yq`.
    Yaml,
}

/// What a listing's table shows of one item: a header and a row of the same width.
pub trait Columns {
    const HEADER: &'static [&'static str];
    fn row(&self) -> Vec<String>;
}

/// `items` as a table, or as one JSON/YAML list.
pub fn list<T: Serialize + Columns>(format: Format, items: &[T]) -> anyhow::Result<String> {
    match format {
        Format::Table => {
            let mut table = plain_table();
            table.set_header(T::HEADER.to_vec());
            for item in items {
                table.add_row(item.row());
            }
            Ok(finish(table))
        }
        Format::Json | Format::Yaml => structured(format, items),
    }
}

/// Items described one field per line, a blank line between items.
pub fn described(items: Vec<Vec<(&str, String)>>) -> String {
    items
        .into_iter()
        .map(|fields| {
            let mut table = plain_table();
            for (field, value) in fields {
                table.add_row(vec![field.to_owned(), value]);
            }
            finish(table)
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// `value` as pretty JSON or as YAML.
pub fn structured<T: Serialize + ?Sized>(format: Format, value: &T) -> anyhow::Result<String> {
    let text = match format {
        Format::Yaml => serde_norway::to_string(value).context("failed to write YAML")?,
        _ => serde_json::to_string_pretty(value).context("failed to write JSON")?,
    };
    Ok(text.trim_end().to_owned())
}

/// No borders, two spaces between columns, never wrapped (a script may cut columns by position).
fn plain_table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    table
}

/// The table's text: columns separated by two spaces, none before the first, no trailing blanks.
fn finish(mut table: Table) -> String {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table.trim_fmt()
}

/// An instant as the table shows it: minutes, UTC.
pub fn when(at: Option<Timestamp>, none: &str) -> String {
    at.map_or_else(
        || none.to_owned(),
        |at| at.to_datetime().format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// An optional text as the table shows it.
pub fn or_dash(text: Option<&str>) -> String {
    text.unwrap_or("—").to_owned()
}
