//! Query-string types with the Botpress wire encoding (`tags.k=v`).
use serde::{Serialize, Serializer, ser::SerializeMap};

/// Tags filter of list operations: `tags.<key>=<value>` on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagsFilter(Vec<(String, String)>);

impl Serialize for TagsFilter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(&format!("tags.{k}"), v)?;
        }
        map.end()
    }
}

/// File tags filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileTagsFilter(Vec<(String, String)>);

impl Serialize for FileTagsFilter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(&format!("tags.{k}"), v)?;
        }
        map.end()
    }
}
