//! CloudStack's JSON and XML envelopes for a [`Reply`] or an [`ApiError`].

use std::fmt::Write;

use strato_common::ApiError;

use crate::response::{Node, Obj, Reply};

/// The CloudStack release whose API Strato speaks (XML `cloud-stack-version`).
pub const CLOUDSTACK_VERSION: &str = "4.22.0.0";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// Anything but `json` (any case) means XML, CloudStack's default.
    pub fn from_param(value: Option<&str>) -> Self {
        match value {
            Some(v) if v.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Xml,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=UTF-8",
            Format::Xml => "text/xml; charset=UTF-8",
        }
    }
}

/// Renders a successful reply under `response_name`.
pub fn reply(format: Format, response_name: &str, reply: &Reply, versioned: bool) -> String {
    // Lists are written straight from the items (they can be large); the other shapes
    // are small and go through their field list.
    if let Reply::List { count, items } = reply {
        return list(format, response_name, *count, items, versioned);
    }
    let fields = reply_fields(reply);
    envelope(format, response_name, versioned, |out| match format {
        Format::Json => json_fields(out, &fields, false),
        Format::Xml => xml_fields(out, &fields),
    })
}

fn list(
    format: Format,
    response_name: &str,
    count: usize,
    items: &[Obj],
    versioned: bool,
) -> String {
    envelope(format, response_name, versioned, |out| match format {
        Format::Json => {
            out.push('{');
            if count > 0 {
                let _ = write!(out, "\"count\":{count}");
            }
            if let Some(first) = items.first() {
                if count > 0 {
                    out.push(',');
                }
                out.push('"');
                json_escape_into(out, &first.name);
                out.push_str("\":[");
                for (i, o) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_fields(out, &o.fields, false);
                }
                out.push(']');
            }
            out.push('}');
        }
        Format::Xml => {
            if count > 0 {
                let _ = write!(out, "<count>{count}</count>");
            }
            for o in items {
                xml_element(out, &o.name, |out| xml_fields(out, &o.fields));
            }
        }
    })
}

/// `{"name":BODY}` or the XML document with root `name`.
fn envelope(format: Format, name: &str, versioned: bool, body: impl FnOnce(&mut String)) -> String {
    let mut out = String::with_capacity(4096);
    match format {
        Format::Json => {
            out.push_str("{\"");
            json_escape_into(&mut out, name);
            out.push_str("\":");
            body(&mut out);
            out.push('}');
        }
        Format::Xml => {
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            out.push('<');
            out.push_str(name);
            if versioned {
                let _ = write!(out, " cloud-stack-version=\"{CLOUDSTACK_VERSION}\"");
            }
            out.push('>');
            body(&mut out);
            let _ = write!(out, "</{name}>");
        }
    }
    out
}

/// Renders an error envelope under `response_name` (`errorresponse` for unknown commands).
pub fn error(format: Format, response_name: &str, err: &ApiError, versioned: bool) -> String {
    let mut fields: Vec<(String, Node)> = Vec::with_capacity(4);
    let uuids: Vec<Obj> = err
        .uuids
        .iter()
        .map(|u| {
            Obj::new("uuidList")
                .str("uuid", u.uuid.clone())
                .str("uuidProperty", u.property.clone())
        })
        .collect();
    // JSON always carries uuidList; XML only when it has entries.
    if format == Format::Json || !uuids.is_empty() {
        fields.push(("uuidList".into(), Node::Objs(uuids)));
    }
    fields.push(("errorcode".into(), Node::Int(err.code.as_u16().into())));
    if let Some(cs) = err.cs_code {
        fields.push(("cserrorcode".into(), Node::Int(cs.into())));
    }
    fields.push(("errortext".into(), Node::Str(err.text.clone())));
    let body = Reply::Flat(fields);
    reply(format, response_name, &body, versioned)
}

/// The fields directly under the response name.
fn reply_fields(reply: &Reply) -> Vec<(String, Node)> {
    match reply {
        Reply::List { .. } => Vec::new(),
        Reply::Object(obj) => vec![(obj.name.clone(), Node::Obj(obj.clone()))],
        Reply::Success { display_text } => {
            let mut f = vec![("success".to_string(), Node::Bool(true))];
            if let Some(t) = display_text {
                f.push(("displaytext".to_string(), Node::Str(t.clone())));
            }
            f
        }
        Reply::Flat(fields) => fields.clone(),
    }
}

// ---- JSON ---------------------------------------------------------------------------

fn json_fields(out: &mut String, fields: &[(String, Node)], in_job_result: bool) {
    out.push('{');
    for (i, (key, node)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // A success job result says `details` in JSON where XML keeps `displaytext`.
        let key = if in_job_result && key == "displaytext" {
            "details"
        } else {
            key.as_str()
        };
        out.push('"');
        json_escape_into(out, key);
        out.push_str("\":");
        json_node(out, node, key == "jobresult");
    }
    out.push('}');
}

fn json_node(out: &mut String, node: &Node, in_job_result: bool) {
    match node {
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Node::Float(f) if f.is_finite() => {
            let _ = write!(out, "{f}");
        }
        Node::Float(_) => out.push('0'),
        Node::Str(s) => json_string(out, s),
        Node::Obj(o) => json_fields(out, &o.fields, in_job_result),
        Node::Objs(list) => {
            out.push('[');
            for (i, o) in list.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_fields(out, &o.fields, false);
            }
            out.push(']');
        }
        Node::Strs(list) => {
            out.push('[');
            for (i, s) in list.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, s);
            }
            out.push(']');
        }
        Node::Map(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, k);
                out.push(':');
                json_string(out, v);
            }
            out.push('}');
        }
    }
}

fn json_string(out: &mut String, s: &str) {
    out.push('"');
    json_escape_into(out, s);
    out.push('"');
}

fn json_escape_into(out: &mut String, s: &str) {
    // Most values need no escaping: copy them in one go.
    if !s
        .bytes()
        .any(|b| b < 0x20 || b == b'"' || b == b'\\' || b == 0x7f)
    {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

// ---- XML ----------------------------------------------------------------------------

fn xml_fields(out: &mut String, fields: &[(String, Node)]) {
    for (key, node) in fields {
        match node {
            Node::Obj(o) => xml_element(out, &o.name, |out| xml_fields(out, &o.fields)),
            Node::Objs(list) => {
                for o in list {
                    xml_element(out, key, |out| xml_fields(out, &o.fields));
                }
            }
            Node::Strs(list) => {
                for s in list {
                    xml_element(out, key, |out| xml_escape_into(out, s));
                }
            }
            Node::Map(pairs) => {
                let text = pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                xml_element(out, key, |out| {
                    out.push('{');
                    xml_escape_into(out, &text);
                    out.push('}');
                });
            }
            Node::Bool(b) => xml_element(out, key, |out| {
                out.push_str(if *b { "true" } else { "false" })
            }),
            Node::Int(i) => xml_element(out, key, |out| {
                let _ = write!(out, "{i}");
            }),
            Node::Float(f) => xml_element(out, key, |out| {
                let _ = write!(out, "{f}");
            }),
            Node::Str(s) => xml_element(out, key, |out| xml_escape_into(out, s)),
        }
    }
}

fn xml_element(out: &mut String, name: &str, body: impl FnOnce(&mut String)) {
    let _ = write!(out, "<{name}>");
    body(out);
    let _ = write!(out, "</{name}>");
}

fn xml_escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
