//! The CPU, speed and memory of a new compute offering (fixed, customized within bounds,
//! or customized freely) and what a system offering may have, as CloudStack checks them.

use strato_api::params::Args;
use strato_common::ApiError;

/// System VM types a system offering can be for.
pub const SYSTEM_VM_TYPES: &[&str] = &[
    "domainrouter",
    "consoleproxy",
    "secondarystoragevm",
    "internalloadbalancervm",
];

/// CPU, speed and memory: fixed, customized within bounds, or customized freely.
#[derive(Default)]
pub struct Sizing {
    pub cpu: Option<i64>,
    pub speed: Option<i64>,
    pub memory: Option<i64>,
    pub min_cpu: Option<i64>,
    pub max_cpu: Option<i64>,
    pub min_memory: Option<i64>,
    pub max_memory: Option<i64>,
    pub customized: bool,
}

/// `v` unless it is below `min` (431 naming the parameter).
pub fn at_least(param: &str, v: i64, min: i64, unit: &str) -> Result<i64, ApiError> {
    if v < min {
        return Err(ApiError::param(format!(
            "Invalid value {v} for parameter {param}: give at least {min}{unit}"
        )));
    }
    Ok(v)
}

const BOUNDS: [&str; 4] = ["mincpunumber", "maxcpunumber", "minmemory", "maxmemory"];

/// Without `customized`, an offering is customized when neither cpunumber nor memory
/// is given; a fixed one needs cpunumber, cpuspeed and memory.
pub fn sizing(args: &Args) -> Result<Sizing, ApiError> {
    let (cpu, speed, memory) = (
        args.int("cpunumber"),
        args.int("cpuspeed"),
        args.int("memory"),
    );
    let customized = args
        .bool("customized")
        .unwrap_or(cpu.is_none() && memory.is_none());
    if !customized {
        if let Some(b) = BOUNDS.iter().find(|b| args.has(b)) {
            return Err(ApiError::param(format!(
                "Parameter {b} applies only to customized offerings (customized=true)"
            )));
        }
        let need = |param: &str, v: Option<i64>| {
            v.ok_or_else(|| {
                ApiError::param(format!(
                    "Parameter {param} is required for an offering that is not customized"
                ))
            })
        };
        return Ok(Sizing {
            cpu: Some(at_least("cpunumber", need("cpunumber", cpu)?, 1, "")?),
            speed: Some(at_least("cpuspeed", need("cpuspeed", speed)?, 0, " MHz")?),
            memory: Some(at_least("memory", need("memory", memory)?, 32, " MiB")?),
            ..Sizing::default()
        });
    }
    if let Some(p) = [("cpunumber", cpu), ("memory", memory)]
        .iter()
        .find_map(|(p, v)| v.map(|_| *p))
    {
        return Err(ApiError::param(format!(
            "Parameter {p} must not be given for a customized offering; use mincpunumber, \
             maxcpunumber, minmemory and maxmemory to bound it"
        )));
    }
    let given = BOUNDS.iter().filter(|b| args.has(b)).count() + usize::from(speed.is_some());
    if given == 0 {
        return Ok(Sizing {
            customized: true,
            ..Sizing::default()
        });
    }
    if given != BOUNDS.len() + 1 {
        return Err(ApiError::param(
            "Parameters mincpunumber, maxcpunumber, minmemory, maxmemory and cpuspeed of a \
             customized offering must be given all together or not at all",
        ));
    }
    let bound = |p: &str, min: i64, unit: &str| at_least(p, args.int(p).unwrap_or(0), min, unit);
    let (min_cpu, max_cpu) = (bound("mincpunumber", 1, "")?, bound("maxcpunumber", 1, "")?);
    let (min_mem, max_mem) = (
        bound("minmemory", 32, " MiB")?,
        bound("maxmemory", 32, " MiB")?,
    );
    for (lo, hi, lo_name, hi_name) in [
        (min_cpu, max_cpu, "mincpunumber", "maxcpunumber"),
        (min_mem, max_mem, "minmemory", "maxmemory"),
    ] {
        if lo > hi {
            return Err(ApiError::param(format!(
                "Parameter {lo_name} ({lo}) must not exceed {hi_name} ({hi})"
            )));
        }
    }
    Ok(Sizing {
        speed: Some(at_least("cpuspeed", speed.unwrap_or(0), 0, " MHz")?),
        min_cpu: Some(min_cpu),
        max_cpu: Some(max_cpu),
        min_memory: Some(min_mem),
        max_memory: Some(max_mem),
        customized: true,
        ..Sizing::default()
    })
}

/// `systemvmtype` of a system offering (domainrouter when not given).
pub fn system_vm_type(args: &Args, system: bool) -> Result<Option<&'static str>, ApiError> {
    match (system, args.str("systemvmtype")) {
        (false, None) => Ok(None),
        (false, Some(_)) => Err(ApiError::param(
            "Parameter systemvmtype applies only to system offerings (issystem=true)",
        )),
        (true, None) => Ok(Some("domainrouter")),
        (true, Some(t)) => SYSTEM_VM_TYPES
            .iter()
            .find(|k| **k == t)
            .copied()
            .map(Some)
            .ok_or_else(|| {
                ApiError::param(format!(
                    "Invalid value {t} for parameter systemvmtype: expected one of {}",
                    SYSTEM_VM_TYPES.join(", ")
                ))
            }),
    }
}

/// Checks what a system offering may not have and where a network rate may be set.
pub fn check_system(args: &Args, vm_type: Option<&str>, customized: bool) -> Result<(), ApiError> {
    if vm_type.is_some() {
        if customized {
            return Err(ApiError::param(
                "A system offering cannot be customized; give cpunumber, cpuspeed and memory",
            ));
        }
        for p in ["customizediops", "hypervisorsnapshotreserve"] {
            if args.has(p) {
                return Err(ApiError::param(format!(
                    "Parameter {p} does not apply to system offerings"
                )));
            }
        }
    }
    if let Some(rate) = args.int("networkrate") {
        if !matches!(vm_type, None | Some("domainrouter")) {
            return Err(ApiError::param(
                "Parameter networkrate applies only to user offerings and domainrouter system offerings",
            ));
        }
        at_least("networkrate", rate, 0, " Mbit/s")?;
    }
    Ok(())
}
