//! Storage properties of a disk, given with a disk offering or with a compute offering
//! for its root disk: storage type, provisioning, tags, IOPS, cache mode, throttling.

use strato_api::params::Args;
use strato_api::response::Obj;
use strato_common::ApiError;
use strato_schema::disk_offering::{DiskProps, IoLimits};

use super::one_of;

pub const PROVISIONING_TYPES: &[&str] = &["thin", "sparse", "fat"];
pub const CACHE_MODES: &[&str] = &["none", "writeback", "writethrough", "hypervisor_default"];

/// Storage tags as CloudStack keeps them: trimmed, without empty items; none when empty.
pub fn clean_tags(tags: &str) -> Option<String> {
    let kept: Vec<&str> = tags
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    (!kept.is_empty()).then(|| kept.join(","))
}

/// `storagetype`: true for local storage.
pub fn local_storage(args: &Args) -> Result<Option<bool>, ApiError> {
    args.str("storagetype")
        .map(|v| {
            one_of("storagetype", v, &["shared", "local"])
                .map(|t| t == "local")
                .map_err(|_| {
                    ApiError::param(format!(
                        "Invalid storage type {v} specified for parameter storagetype, valid types are: 'local' and 'shared'"
                    ))
                })
        })
        .transpose()
}

pub fn cache_mode(value: &str) -> Result<&'static str, ApiError> {
    one_of("cachemode", value, CACHE_MODES)
}

/// Parameter name and slot of every throttling limit.
fn limit_slots(l: &mut IoLimits) -> [(&'static str, &mut Option<i64>); 12] {
    [
        ("bytesreadrate", &mut l.bytes_read_rate),
        ("bytesreadratemax", &mut l.bytes_read_rate_max),
        ("bytesreadratemaxlength", &mut l.bytes_read_rate_max_length),
        ("byteswriterate", &mut l.bytes_write_rate),
        ("byteswriteratemax", &mut l.bytes_write_rate_max),
        (
            "byteswriteratemaxlength",
            &mut l.bytes_write_rate_max_length,
        ),
        ("iopsreadrate", &mut l.iops_read_rate),
        ("iopsreadratemax", &mut l.iops_read_rate_max),
        ("iopsreadratemaxlength", &mut l.iops_read_rate_max_length),
        ("iopswriterate", &mut l.iops_write_rate),
        ("iopswriteratemax", &mut l.iops_write_rate_max),
        ("iopswriteratemaxlength", &mut l.iops_write_rate_max_length),
    ]
}

/// Sets the limits given in `args`; values of 0 or less are ignored, as CloudStack does.
/// A burst limit below its base limit is refused.
pub fn apply_limits(limits: &mut IoLimits, args: &Args) -> Result<(), ApiError> {
    for (param, slot) in limit_slots(limits) {
        if let Some(v) = args.int(param).filter(|v| *v > 0) {
            *slot = Some(v);
        }
    }
    for (base, burst, rate, max) in [
        (
            "bytesreadrate",
            "bytesreadratemax",
            limits.bytes_read_rate,
            limits.bytes_read_rate_max,
        ),
        (
            "byteswriterate",
            "byteswriteratemax",
            limits.bytes_write_rate,
            limits.bytes_write_rate_max,
        ),
        (
            "iopsreadrate",
            "iopsreadratemax",
            limits.iops_read_rate,
            limits.iops_read_rate_max,
        ),
        (
            "iopswriterate",
            "iopswriteratemax",
            limits.iops_write_rate,
            limits.iops_write_rate_max,
        ),
    ] {
        if let (Some(rate), Some(max)) = (rate, max)
            && max < rate
        {
            return Err(ApiError::param(format!(
                "Parameter {burst} ({max}) must not be lower than {base} ({rate})"
            )));
        }
    }
    Ok(())
}

/// The storage properties of a new disk; `encrypt_param` is `encrypt` for disk
/// offerings and `encryptroot` for compute offerings.
pub fn parse_props(args: &Args, encrypt_param: &str) -> Result<DiskProps, ApiError> {
    let provisioning_type = match args.str("provisioningtype") {
        Some(v) => one_of("provisioningtype", v, PROVISIONING_TYPES)?,
        None => "thin",
    };
    let (min_iops, max_iops) = iops(args)?;
    if let Some(r) = args.int("hypervisorsnapshotreserve").filter(|r| *r < 0) {
        return Err(ApiError::param(format!(
            "Invalid value {r} for parameter hypervisorsnapshotreserve: must be 0 or more"
        )));
    }
    let mut limits = IoLimits::default();
    apply_limits(&mut limits, args)?;
    Ok(DiskProps {
        tags: args.str("tags").and_then(clean_tags),
        provisioning_type: provisioning_type.to_string(),
        use_local_storage: local_storage(args)?.unwrap_or(false),
        customized_iops: args.bool("customizediops"),
        min_iops,
        max_iops,
        cache_mode: args
            .str("cachemode")
            .map(cache_mode)
            .transpose()?
            .unwrap_or("none")
            .to_string(),
        hypervisor_snapshot_reserve: args.int("hypervisorsnapshotreserve"),
        limits,
        encrypt: args.flag(encrypt_param),
    })
}

/// `miniops`/`maxiops`: only without `customizediops=true`; given, min must be positive
/// and not above max. Without `customizediops` they are not kept.
fn iops(args: &Args) -> Result<(Option<i64>, Option<i64>), ApiError> {
    match args.bool("customizediops") {
        None | Some(true) => Ok((None, None)),
        Some(false) => {
            let (min, max) = (args.int("miniops"), args.int("maxiops"));
            if min.is_none() && max.is_none() {
                return Ok((Some(0), Some(0)));
            }
            let min = min.filter(|m| *m > 0).ok_or_else(|| {
                ApiError::param("Parameter miniops must be greater than 0 when IOPS are fixed")
            })?;
            let max = max.unwrap_or(0);
            if min > max {
                return Err(ApiError::param(format!(
                    "Parameter miniops ({min}) must not exceed maxiops ({max})"
                )));
            }
            Ok((Some(min), Some(max)))
        }
    }
}

/// Response fields of the storage properties; the tags go under `tags_field`
/// (`tags` for disk offerings, `storagetags` for compute offerings).
pub fn props_fields(obj: Obj, p: &DiskProps, tags_field: &str) -> Obj {
    let l = &p.limits;
    let mut obj = obj
        .str(
            "storagetype",
            if p.use_local_storage {
                "local"
            } else {
                "shared"
            },
        )
        .str("provisioningtype", &p.provisioning_type)
        .opt_str(tags_field, p.tags.clone());
    if let Some(c) = p.customized_iops {
        obj = obj.bool("iscustomizediops", c);
    }
    for (key, v) in [
        ("miniops", p.min_iops),
        ("maxiops", p.max_iops),
        ("hypervisorsnapshotreserve", p.hypervisor_snapshot_reserve),
        ("diskBytesReadRate", l.bytes_read_rate),
        ("diskBytesReadRateMax", l.bytes_read_rate_max),
        ("diskBytesReadRateMaxLength", l.bytes_read_rate_max_length),
        ("diskBytesWriteRate", l.bytes_write_rate),
        ("diskBytesWriteRateMax", l.bytes_write_rate_max),
        ("diskBytesWriteRateMaxLength", l.bytes_write_rate_max_length),
        ("diskIopsReadRate", l.iops_read_rate),
        ("diskIopsReadRateMax", l.iops_read_rate_max),
        ("diskIopsReadRateMaxLength", l.iops_read_rate_max_length),
        ("diskIopsWriteRate", l.iops_write_rate),
        ("diskIopsWriteRateMax", l.iops_write_rate_max),
        ("diskIopsWriteRateMaxLength", l.iops_write_rate_max_length),
    ] {
        if let Some(v) = v {
            obj = obj.int(key, v);
        }
    }
    obj.str("cacheMode", &p.cache_mode)
}

/// The first storage parameter given, if any (they conflict with `diskofferingid`).
pub fn given_param(args: &Args) -> Option<&'static str> {
    const PARAMS: &[&str] = &[
        "storagetype",
        "provisioningtype",
        "tags",
        "customizediops",
        "miniops",
        "maxiops",
        "hypervisorsnapshotreserve",
        "cachemode",
        "rootdisksize",
        "encryptroot",
        "bytesreadrate",
        "bytesreadratemax",
        "bytesreadratemaxlength",
        "byteswriterate",
        "byteswriteratemax",
        "byteswriteratemaxlength",
        "iopsreadrate",
        "iopsreadratemax",
        "iopsreadratemaxlength",
        "iopswriterate",
        "iopswriteratemax",
        "iopswriteratemaxlength",
    ];
    PARAMS.iter().copied().find(|p| args.has(p))
}
