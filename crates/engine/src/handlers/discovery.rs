//! listApis: the commands the caller may call, from their declarations.

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_api::spec::CommandSpec;
use strato_common::ApiError;

use crate::{Ctx, access};

fn api_obj(spec: &CommandSpec) -> Obj {
    let params = spec
        .params()
        .map(|p| {
            Obj::new("params")
                .str("name", p.name)
                .str("description", p.description)
                .str("type", p.ty.name())
                .int("length", p.length as i64)
                .bool("required", p.required)
                .opt_str("related", p.related)
        })
        .collect();
    let mut fields: Vec<Obj> = spec
        .response
        .fields
        .iter()
        .map(|f| {
            Obj::new("response")
                .str("name", f.name)
                .str("description", f.description)
                .str("type", f.ty)
        })
        .collect();
    if spec.is_async {
        fields.push(
            Obj::new("response")
                .str("name", "jobid")
                .str("description", "id of the job running the command")
                .str("type", "string"),
        );
        fields.push(
            Obj::new("response")
                .str("name", "jobstatus")
                .str("description", "status of that job")
                .str("type", "integer"),
        );
    }
    Obj::new("api")
        .str("name", spec.name)
        .str("description", spec.description)
        .bool("isasync", spec.is_async)
        .opt_str("since", spec.since)
        .str("related", "")
        .node("params", Node::Objs(params))
        .node("response", Node::Objs(fields))
        .opt_str("type", Some(spec.response.object).filter(|o| !o.is_empty()))
}

pub async fn list_apis(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let mut items = Vec::new();
    for cmd in ctx.engine.registry.iter() {
        if args.str("name").is_some_and(|n| n != cmd.spec.name) {
            continue;
        }
        if access::command_allowed(&mut c, &ctx.caller, cmd.spec).await? {
            items.push(api_obj(cmd.spec));
        }
    }
    if let (Some(name), true) = (args.str("name"), items.is_empty()) {
        return Err(ApiError::param(format!("Cannot find API with name {name}")));
    }
    Ok(Reply::list(items.len(), items))
}
