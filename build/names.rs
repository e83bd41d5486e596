//! Names: how the document's identifiers become Rust identifiers.
//!
//! - operation ids and wire names become `snake_case` methods (`getOrCreateUser` →
//!   `get_or_create_user`, `x-destination-bot-id` → `x_destination_bot_id`) and
//!   `PascalCase` types (`GetOrCreateUser`);
//! - a name that is a Rust keyword gets a trailing underscore (`type` → `type_`), as typify
//!   does for fields.

/// `getOrCreateUser` → `get_or_create_user`; `x-bot-id` → `x_bot_id`; `pageSize` → `page_size`.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = true;
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    out
}

/// `getOrCreateUser` → `GetOrCreateUser`; `sort-field` → `SortField`; `in_progress` → `InProgress`.
pub(crate) fn pascal(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}

/// `name` as a Rust identifier: keywords get a trailing underscore.
pub(crate) fn ident(name: &str) -> proc_macro2::Ident {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else",
        "enum", "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod",
        "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while", "yield",
    ];
    let name = if KEYWORDS.contains(&name) {
        format!("{name}_")
    } else {
        name.to_string()
    };
    proc_macro2::Ident::new(&name, proc_macro2::Span::call_site())
}

/// The variant name of an enum value: `in_progress` → `InProgress`, `bi-weekly` →
/// `BiWeekly`, `2x` → `V2x`.
pub(crate) fn variant(value: &str) -> String {
    let mut name = pascal(value);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case() {
        assert_eq!(snake("getOrCreateUser"), "get_or_create_user");
        assert_eq!(snake("x-destination-bot-id"), "x_destination_bot_id");
        assert_eq!(snake("pageSize"), "page_size");
        assert_eq!(snake("id"), "id");
    }

    #[test]
    fn pascal_case_and_variants() {
        assert_eq!(pascal("getOrCreateUser"), "GetOrCreateUser");
        assert_eq!(pascal("sortDirection"), "SortDirection");
        assert_eq!(variant("in_progress"), "InProgress");
        assert_eq!(variant("bi-weekly"), "BiWeekly");
        assert_eq!(variant("date-time"), "DateTime");
        assert_eq!(variant("2x"), "V2x");
    }

    #[test]
    fn keywords_get_an_underscore() {
        assert_eq!(ident("type").to_string(), "type_");
        assert_eq!(ident("name").to_string(), "name");
    }
}
