//! Every implemented command against CloudStack's catalog (names, async flag, response
//! names and keys, parameters, response fields), and the discovery answers (`listApis`,
//! OpenAPI) against the registry.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use strato_api::spec::ResponseKind;
use strato_engine::Registry;

use crate::common::{TestCloud, new_account};

/// `catalog.json` commands by name.
pub(crate) fn catalog() -> BTreeMap<String, Value> {
    let path = format!(
        "{}/../../../shared/reference/cloudstack-api/catalog.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let all: Value = serde_json::from_str(&text).expect("catalog JSON");
    all["commands"]
        .as_array()
        .expect("commands")
        .iter()
        .map(|c| (c["name"].as_str().expect("name").to_string(), c.clone()))
        .collect()
}

fn kind_name(kind: ResponseKind) -> &'static str {
    match kind {
        ResponseKind::List => "list",
        ResponseKind::Object => "object",
        ResponseKind::Success => "success",
        ResponseKind::Flat => "flat",
    }
}

/// The catalog's kind in our terms (`single-object` is an object without count).
fn catalog_kind(kind: &str) -> &str {
    match kind {
        "single-object" => "object",
        k => k,
    }
}

fn strs(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// CloudStack simulator-plugin commands (not in catalog.json) and their response names.
const SIMULATOR_PLUGIN: &[(&str, &str)] = &[
    ("configureSimulator", "simulatormock"),
    ("querySimulatorMock", "simulatormock"),
    ("cleanupSimulatorMock", "cleanupsimulatormockresponse"),
];

#[test]
fn every_command_matches_the_catalog() {
    let catalog = catalog();
    let registry = Registry::new();
    let mut problems: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for cmd in registry.iter() {
        let spec = cmd.spec;
        let name = spec.name;
        assert!(seen.insert(name), "{name} is registered twice");
        let Some(cat) = catalog.get(name) else {
            // The simulator plugin's commands are missing from the catalog (built from a
            // non-simulator listApis); CONVENTIONS §12 gives their response names.
            match SIMULATOR_PLUGIN.iter().find(|(n, _)| *n == name) {
                Some((_, resp)) if spec.response_name() == *resp => {}
                Some((_, resp)) => problems.push(format!(
                    "{name}: response name {} but CloudStack's simulator says {resp}",
                    spec.response_name()
                )),
                None => problems.push(format!("{name}: not a CloudStack command")),
            }
            continue;
        };
        if Some(spec.is_async) != cat["async"].as_bool() {
            problems.push(format!(
                "{name}: is_async {} but CloudStack says {}",
                spec.is_async, cat["async"]
            ));
        }
        let resp = &cat["response"];
        if resp["response_name"].as_str() != Some(spec.response_name().as_str()) {
            problems.push(format!(
                "{name}: response name {} but CloudStack says {}",
                spec.response_name(),
                resp["response_name"]
            ));
        }
        let ours = kind_name(spec.response.kind);
        let theirs = catalog_kind(resp["kind"].as_str().unwrap_or_default());
        if ours != theirs {
            problems.push(format!(
                "{name}: response kind {ours} but CloudStack says {theirs}"
            ));
        }
        if matches!(
            spec.response.kind,
            ResponseKind::List | ResponseKind::Object
        ) && resp["name"].as_str() != Some(spec.response.object)
        {
            problems.push(format!(
                "{name}: object name {:?} but CloudStack says {}",
                spec.response.object, resp["name"]
            ));
        }
        if matches!(
            spec.response.kind,
            ResponseKind::Success | ResponseKind::Flat
        ) && !spec.response.object.is_empty()
        {
            problems.push(format!(
                "{name}: a {ours} response has no object name, not {:?}",
                spec.response.object
            ));
        }

        // Parameters: ours ⊆ theirs (case-insensitive); their required ones are ours too.
        let cat_params: BTreeMap<String, &Value> = cat["params"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| (p["name"].as_str().unwrap_or_default().to_lowercase(), p))
                    .collect()
            })
            .unwrap_or_default();
        let mut declared = BTreeSet::new();
        for p in spec.params() {
            if !declared.insert(p.name) {
                problems.push(format!("{name}: parameter {} declared twice", p.name));
            }
            if p.name != p.name.to_ascii_lowercase() {
                problems.push(format!("{name}: parameter {} is not lower-case", p.name));
            }
            if !cat_params.contains_key(p.name) {
                problems.push(format!(
                    "{name}: parameter {} is not in CloudStack's",
                    p.name
                ));
            }
            if p.description.trim().is_empty() {
                problems.push(format!("{name}: parameter {} has no description", p.name));
            }
        }
        for (pname, p) in &cat_params {
            if p["required"].as_bool() == Some(true)
                && !spec.params().any(|q| q.name == pname && q.required)
            {
                problems.push(format!(
                    "{name}: CloudStack requires {pname}, ours does not"
                ));
            }
        }

        // Response fields: ours ⊆ theirs.
        let cat_fields = strs(&resp["fields"]);
        for f in spec.response.fields {
            if !cat_fields.contains(f.name) {
                problems.push(format!(
                    "{name}: response field {} is not in CloudStack's",
                    f.name
                ));
            }
        }
        if spec.response.kind == ResponseKind::Success {
            let names: BTreeSet<&str> = spec.response.fields.iter().map(|f| f.name).collect();
            if names != BTreeSet::from(["success", "displaytext"]) {
                problems.push(format!(
                    "{name}: a success response has success/displaytext, not {names:?}"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} mismatches with catalog.json:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn every_event_is_a_known_cloudstack_event_type() {
    let registry = Registry::new();
    let unknown: Vec<String> = registry
        .iter()
        .filter_map(|c| c.spec.event.map(|e| (c.spec.name, e)))
        .filter(|(_, e)| !strato_engine::events::types::is_known(e))
        .map(|(n, e)| format!("{n}: {e}"))
        .collect();
    assert!(unknown.is_empty(), "unknown event types: {unknown:?}");
    // And the check itself is not vacuous.
    assert!(strato_engine::events::types::is_known("DOMAIN.CREATE"));
    assert!(!strato_engine::events::types::is_known("DOMAIN.EXPLODE"));
    assert!(registry.iter().any(|c| c.spec.event.is_some()));
}

fn api_names(list: &Value) -> BTreeSet<String> {
    list["api"]
        .as_array()
        .expect("api list")
        .iter()
        .map(|a| a["name"].as_str().expect("name").to_string())
        .collect()
}

#[tokio::test]
async fn list_apis_and_openapi_describe_exactly_the_registry() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let registry = Registry::new();
    let ours: BTreeSet<String> = registry.iter().map(|c| c.spec.name.to_string()).collect();

    let all = admin.ok("listApis", &[]).await;
    assert_eq!(api_names(&all), ours, "listApis as root admin");
    assert_eq!(all["count"].as_u64(), Some(ours.len() as u64));
    for api in all["api"].as_array().expect("apis") {
        let name = api["name"].as_str().expect("name");
        let spec = registry.get(name).expect("registered").spec;
        assert_eq!(api["isasync"].as_bool(), Some(spec.is_async), "{name}");
        assert!(api["description"].as_str().is_some_and(|d| !d.is_empty()));
        let params = api["params"].as_array().cloned().unwrap_or_default();
        assert_eq!(params.len(), spec.params().count(), "{name}: {api}");
        for p in &params {
            let pname = p["name"].as_str().expect("param name");
            let decl = spec
                .params()
                .find(|q| q.name == pname)
                .unwrap_or_else(|| panic!("{name}: listed param {pname} is not declared"));
            assert_eq!(p["type"].as_str(), Some(decl.ty.name()), "{name}.{pname}");
            assert_eq!(
                p["required"].as_bool(),
                Some(decl.required),
                "{name}.{pname}"
            );
            assert_eq!(
                p["length"].as_u64(),
                Some(decl.length as u64),
                "{name}.{pname}"
            );
            assert!(p["description"].is_string(), "{name}.{pname}: {p}");
        }
        let fields: BTreeSet<String> = api["response"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|f| {
                assert!(f["description"].is_string(), "{name}: {f}");
                assert!(f["type"].is_string(), "{name}: {f}");
                f["name"].as_str().expect("field name").to_string()
            })
            .collect();
        let mut want: BTreeSet<String> = spec
            .response
            .fields
            .iter()
            .map(|f| f.name.to_string())
            .collect();
        if spec.is_async {
            want.extend(["jobid".to_string(), "jobstatus".to_string()]);
        }
        assert_eq!(fields, want, "{name}: response fields");
    }
    // One command by name; an unknown name is a 431.
    let one = admin.ok("listApis", &[("name", "createDomain")]).await;
    assert_eq!(
        api_names(&one),
        BTreeSet::from(["createDomain".to_string()])
    );
    let e = admin
        .err("listApis", &[("name", "deployVirtualMachineX")], 431)
        .await;
    assert!(e.contains("deployVirtualMachineX"), "{e}");

    // A plain user sees a strict subset, never admin commands.
    let (user, _) = new_account(&admin, "plain", None, "0").await;
    let visible = api_names(&user.ok("listApis", &[]).await);
    assert!(visible.is_subset(&ours), "{visible:?}");
    assert!(visible.len() < ours.len(), "{visible:?}");
    for must in ["listApis", "listAccounts", "queryAsyncJobResult"] {
        assert!(visible.contains(must), "users may call {must}");
    }
    for never in ["createDomain", "updateConfiguration", "createAccount"] {
        assert!(!visible.contains(never), "users may not call {never}");
    }

    // The OpenAPI document: valid JSON, one path per command.
    let r = reqwest::get(format!("{}/openapi.json", cloud.url()))
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 200);
    let doc: Value = serde_json::from_str(&r.text().await.expect("body")).expect("valid JSON");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')));
    let paths = doc["paths"].as_object().expect("paths");
    assert_eq!(paths.len(), ours.len());
    for name in &ours {
        let path = paths
            .get(&format!("/client/api?command={name}"))
            .unwrap_or_else(|| panic!("no OpenAPI path for {name}"));
        let op = path
            .as_object()
            .and_then(|m| m.values().next())
            .expect("operation");
        assert_eq!(op["operationId"].as_str(), Some(name.as_str()));
    }
    cloud.stop().await;
}
