//! The Simulator hypervisor's own commands (CloudStack's simulator plugin): fault
//! injection and delays for the agent commands simulated hosts answer.
//!
//! CloudStack registers these only in simulator builds; Strato's management server
//! always carries the in-process simulator, so they always exist. They are not in
//! `catalog.json` (built from a non-simulator `listApis`); their shapes follow
//! CONVENTIONS §12 and the plugin's `ConfigureSimulatorCmd`, `QuerySimulatorMockCmd`
//! and `CleanupSimulatorMockCmd`.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

/// The mock record (`MockResponse`). Its ids are CloudStack's internal numeric ids, not
/// UUIDs: the plugin's response carries `Long`s.
pub const MOCK_FIELDS: &[FieldSpec] = &[
    field(
        "id",
        "long",
        "mock id (for querySimulatorMock and cleanupSimulatorMock)",
    ),
    field(
        "zoneid",
        "long",
        "internal id of the zone the mock is limited to",
    ),
    field(
        "podid",
        "long",
        "internal id of the pod the mock is limited to",
    ),
    field(
        "clusterid",
        "long",
        "internal id of the cluster the mock is limited to",
    ),
    field(
        "hostid",
        "long",
        "internal id of the host the mock is limited to",
    ),
    field("name", "string", "agent command the mock applies to"),
    field(
        "count",
        "integer",
        "remaining applications; absent when the mock stays active until cleaned up",
    ),
];

/// CloudStack sets the response name `simulatormock` on the answer and never an object
/// name, so its serializer writes the record under a key literally named `null`:
/// `{"simulatormock":{"null":{...}}}`. We emit exactly that.
const MOCK_OBJECT: ResponseSpec = object("null", MOCK_FIELDS);

const MOCK_ID: ParamSpec = ParamSpec::new(
    "id",
    Long,
    "Id of the mock, as configureSimulator returned it",
)
.required();

pub const CONFIGURE_SIMULATOR: CommandSpec = command(
    "configureSimulator",
    "Makes simulated hosts fail, fault or delay an agent command; configuring the same command and scope again updates the mock",
    Roles::ADMIN,
    &[&[
        ParamSpec::new(
            "name",
            String,
            "Agent command: CloudStack's class name (StartCommand, MaintainCommand) or Strato's (StartVm, MaintainHost)",
        )
        .required(),
        ParamSpec::new(
            "value",
            String,
            "Options separated by | (or ;): result:fail, result:fault, wait:<ms>, enabled:<true|false>, timeout:<ms>",
        )
        .required(),
        ParamSpec::new("zoneid", Uuid, "Only hosts of this zone").related("listZones"),
        ParamSpec::new("podid", Uuid, "Only hosts of this pod").related("listPods"),
        ParamSpec::new("clusterid", Uuid, "Only hosts of this cluster").related("listClusters"),
        ParamSpec::new("hostid", Uuid, "Only this host").related("listHosts"),
        ParamSpec::new(
            "count",
            Integer,
            "How many commands the mock applies to (default: until cleaned up)",
        ),
        ParamSpec::new(
            "jsonresponse",
            String,
            "Canned answer instead of running the command: Strato's answer JSON, or CloudStack's {\"<Answer class>\":{\"result\":..,\"details\":..}}",
        )
        .length(4096),
    ]],
    MOCK_OBJECT,
)
.legacy_response_name("simulatormock");

pub const QUERY_SIMULATOR_MOCK: CommandSpec = command(
    "querySimulatorMock",
    "Shows a simulator mock, with how many more commands it applies to",
    Roles::ADMIN,
    &[&[MOCK_ID]],
    MOCK_OBJECT,
)
.legacy_response_name("simulatormock");

pub const CLEANUP_SIMULATOR_MOCK: CommandSpec = command(
    "cleanupSimulatorMock",
    "Removes a simulator mock",
    Roles::ADMIN,
    &[&[MOCK_ID]],
    SUCCESS,
);
