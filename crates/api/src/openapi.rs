//! OpenAPI 3 document generated from command declarations (`/client/api/openapi.json`).
//!
//! CloudStack has one endpoint with `command=` selecting the operation, which OpenAPI
//! cannot express on one path; each command is described as the path
//! `/client/api?command=<name>`, the convention other CloudStack OpenAPI exports use.

use serde_json::{Map, Value, json};

use crate::spec::{CommandSpec, ParamType, ResponseKind};

fn schema_of(ty: ParamType) -> Value {
    match ty {
        ParamType::Uuid => json!({"type": "string", "format": "uuid"}),
        ParamType::Boolean => json!({"type": "boolean"}),
        ParamType::Integer => json!({"type": "integer", "format": "int32"}),
        ParamType::Long => json!({"type": "integer", "format": "int64"}),
        ParamType::Date | ParamType::TzDate => json!({"type": "string", "format": "date-time"}),
        ParamType::List => json!({"type": "string", "description": "comma-separated list"}),
        ParamType::String | ParamType::Map => json!({"type": "string"}),
    }
}

fn field_schema(ty: &str) -> Value {
    match ty {
        "boolean" => json!({"type": "boolean"}),
        "integer" | "long" => json!({"type": "integer"}),
        "list" | "set" => json!({"type": "array", "items": {}}),
        "map" | "object" => json!({"type": "object"}),
        _ => json!({"type": "string"}),
    }
}

fn operation(spec: &CommandSpec) -> Value {
    let params: Vec<Value> = spec
        .params()
        .map(|p| {
            let mut schema = schema_of(p.ty);
            if p.ty == ParamType::String {
                schema["maxLength"] = json!(p.length);
            }
            json!({
                "name": if p.ty == ParamType::Map { format!("{}[0].key", p.name) } else { p.name.to_string() },
                "in": "query",
                "required": p.required,
                "description": p.description,
                "schema": schema,
            })
        })
        .collect();
    let mut props = Map::new();
    for f in spec.response.fields {
        let mut s = field_schema(f.ty);
        s["description"] = json!(f.description);
        props.insert(f.name.to_string(), s);
    }
    let object = json!({"type": "object", "properties": props});
    let body = if spec.is_async {
        json!({"type": "object", "properties": {"jobid": {"type": "string"}, "id": {"type": "string"}}})
    } else {
        match spec.response.kind {
            ResponseKind::List => json!({"type": "object", "properties": {
                "count": {"type": "integer"},
                spec.response.object: {"type": "array", "items": object},
            }}),
            ResponseKind::Object => {
                json!({"type": "object", "properties": {spec.response.object: object}})
            }
            ResponseKind::Success | ResponseKind::Flat => object,
        }
    };
    json!({
        "operationId": spec.name,
        "summary": spec.description,
        "parameters": params,
        "responses": {
            "200": {
                "description": if spec.is_async { "job submitted; poll queryAsyncJobResult" } else { "success" },
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {spec.response_name(): body},
                }}},
            },
            "default": {"$ref": "#/components/responses/Error"},
        },
    })
}

/// The whole document for the given commands.
pub fn document<'a>(commands: impl IntoIterator<Item = &'a CommandSpec>) -> Value {
    let mut paths = Map::new();
    for spec in commands {
        let method = if spec.name == "login" { "post" } else { "get" };
        paths.insert(
            format!("/client/api?command={}", spec.name),
            json!({ method: operation(spec) }),
        );
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Strato (Apache CloudStack API)",
            "version": crate::render::CLOUDSTACK_VERSION,
            "description": "Every call also takes response=json|xml and either apiKey+signature or a session key.",
        },
        "paths": paths,
        "components": {"responses": {"Error": {
            "description": "CloudStack error envelope; HTTP status = errorcode",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }}},
    })
}
