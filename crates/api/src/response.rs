//! The response tree every command returns; rendered to JSON or XML by [`crate::render`],
//! so the two formats cannot drift apart.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A field value. Null fields are simply not added (CloudStack omits them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Node {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A nested object: JSON key = field name, XML element = the object's name.
    Obj(Obj),
    /// A collection of objects: repeated elements named by the field in XML.
    Objs(Vec<Obj>),
    /// A collection of strings.
    Strs(Vec<String>),
    /// A string map (JSON object; XML `{k=v, ..}` text).
    Map(Vec<(String, String)>),
}

/// A response object: its CloudStack object name and its fields in order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Obj {
    pub name: String,
    pub fields: Vec<(String, Node)>,
}

impl Obj {
    pub fn new(name: impl Into<String>) -> Self {
        Obj {
            name: name.into(),
            fields: Vec::new(),
        }
    }
    pub fn node(mut self, key: &str, node: Node) -> Self {
        self.fields.push((key.to_string(), node));
        self
    }
    pub fn str(self, key: &str, value: impl Into<String>) -> Self {
        self.node(key, Node::Str(value.into()))
    }
    pub fn opt_str(self, key: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.str(key, v),
            None => self,
        }
    }
    pub fn int(self, key: &str, value: i64) -> Self {
        self.node(key, Node::Int(value))
    }
    pub fn bool(self, key: &str, value: bool) -> Self {
        self.node(key, Node::Bool(value))
    }
    pub fn date(self, key: &str, value: &DateTime<Utc>) -> Self {
        self.str(key, strato_common::time::format(value))
    }
    pub fn opt_date(self, key: &str, value: Option<&DateTime<Utc>>) -> Self {
        match value {
            Some(v) => self.date(key, v),
            None => self,
        }
    }
    /// Replaces a field's value where it stands (adds it at the end if missing).
    pub fn set(mut self, key: &str, node: Node) -> Self {
        match self.fields.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = node,
            None => self.fields.push((key.to_string(), node)),
        }
        self
    }
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// What a command handler returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// A list page: `count` is the total number of matches, not the page length.
    List {
        count: usize,
        items: Vec<Obj>,
    },
    Object(Obj),
    Success {
        display_text: Option<String>,
    },
    /// Fields directly under the response name (login, queryAsyncJobResult, job ids).
    Flat(Vec<(String, Node)>),
}

impl Reply {
    pub fn success() -> Self {
        Reply::Success { display_text: None }
    }
    pub fn list(count: usize, items: Vec<Obj>) -> Self {
        Reply::List { count, items }
    }
}
