//! Tag filters for list operations, encoded the way the service reads them.
//!
//! The service takes object-valued query parameters in `qs`'s "allowDots" form, which no
//! OpenAPI style describes: `tags: {a: "1", b: "x y"}` goes on the wire as
//! `tags.a=1&tags.b=x%20y` (never `tags[a]=1`, never JSON). [`TagsFilter`] (conversations,
//! messages, users, workflows, tasks, tables) and [`FileTagsFilter`] (files and knowledge
//! bases, whose values may also be lists and exclusions) produce exactly that; the transport
//! percent-encodes keys and values per RFC 3986.
//!
//! Entries keep the order they were added in, as the official client keeps its object's
//! key order, so requests are reproducible byte for byte.
//!
//! ```
//! use botpress::query::{FileTagsFilter, TagsFilter};
//! let tags = TagsFilter::new().tag("channel", "web").tag("lang", "fr");
//! assert_eq!(tags.len(), 2);
//! let files = FileTagsFilter::new().any_of("kind", ["faq", "doc"]).not("draft", "true");
//! assert_eq!(files.len(), 2);
//! ```

/// Filter on string tags: every listed tag must have exactly the given value.
///
/// Wire form: `tags.<key>=<value>` per entry. Build it with [`TagsFilter::tag`], or collect
/// it from pairs or a map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagsFilter(Vec<(String, String)>);

impl TagsFilter {
    /// An empty filter (sends nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key = value`; a key added twice is sent twice, as given.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.push((key.into(), value.into()));
        self
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the filter has no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries, in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for TagsFilter {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for TagsFilter {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<String>> From<std::collections::BTreeMap<K, V>> for TagsFilter {
    fn from(map: std::collections::BTreeMap<K, V>) -> Self {
        map.into_iter().collect()
    }
}

impl IntoIterator for TagsFilter {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl crate::wire::QueryValue for TagsFilter {
    fn append_to(&self, name: &str, query: &mut crate::wire::Query) {
        for (k, v) in &self.0 {
            query.pair(&format!("{name}.{k}"), v);
        }
    }
}

/// The condition on one file tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileTagCondition {
    /// The tag has one of these values (one value: equality).
    AnyOf(Vec<String>),
    /// The tag has none of these values.
    NoneOf(Vec<String>),
}

/// Filter on file (and knowledge base) tags: per key, a value, a list of values (any of
/// them matches) or values to exclude.
///
/// Wire form: `tags.k=v`, `tags.k=a&tags.k=b`, `tags.k.not=v`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileTagsFilter(Vec<(String, FileTagCondition)>);

impl FileTagsFilter {
    /// An empty filter (sends nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// The tag `key` equals `value`.
    pub fn tag(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.any_of(key, [value])
    }

    /// The tag `key` equals one of `values`.
    pub fn any_of<V: Into<String>>(
        mut self,
        key: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let values = values.into_iter().map(Into::into).collect();
        self.0.push((key.into(), FileTagCondition::AnyOf(values)));
        self
    }

    /// The tag `key` is not `value`.
    pub fn not(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.none_of(key, [value])
    }

    /// The tag `key` is none of `values`.
    pub fn none_of<V: Into<String>>(
        mut self,
        key: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let values = values.into_iter().map(Into::into).collect();
        self.0.push((key.into(), FileTagCondition::NoneOf(values)));
        self
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the filter has no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The conditions, in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FileTagCondition)> {
        self.0.iter().map(|(k, c)| (k.as_str(), c))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for FileTagsFilter {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        iter.into_iter()
            .fold(Self::new(), |filter, (k, v)| filter.tag(k, v))
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for FileTagsFilter {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<String>> From<Vec<(K, V)>> for FileTagsFilter {
    fn from(pairs: Vec<(K, V)>) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<String>> From<std::collections::BTreeMap<K, V>> for FileTagsFilter {
    fn from(map: std::collections::BTreeMap<K, V>) -> Self {
        map.into_iter().collect()
    }
}

impl crate::wire::QueryValue for FileTagsFilter {
    fn append_to(&self, name: &str, query: &mut crate::wire::Query) {
        for (key, condition) in &self.0 {
            let (name, values) = match condition {
                FileTagCondition::AnyOf(v) => (format!("{name}.{key}"), v),
                FileTagCondition::NoneOf(v) => (format!("{name}.{key}.not"), v),
            };
            for value in values {
                query.pair(&name, value);
            }
        }
    }
}
