//! Asynchronous jobs.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const JOB_FIELDS: &[FieldSpec] = &[
    field("jobid", "string", "job id"),
    field("accountid", "string", "account that started the job"),
    field("account", "string", "account name"),
    field("userid", "string", "user that started the job"),
    field("domainid", "string", "domain of the account"),
    field("domainpath", "string", "domain path of the account"),
    field("cmd", "string", "command the job runs"),
    field("jobstatus", "integer", "0 pending, 1 succeeded, 2 failed"),
    field("jobprocstatus", "integer", "progress indicator"),
    field(
        "jobresultcode",
        "integer",
        "0 on success, else the error code",
    ),
    field("jobresulttype", "string", "object or text"),
    field("jobresult", "object", "the command's result or error"),
    field(
        "jobinstancetype",
        "string",
        "type of the resource the job acts on",
    ),
    field(
        "jobinstanceid",
        "string",
        "id of the resource the job acts on",
    ),
    field("created", "date", "when the job was submitted"),
    field("completed", "date", "when the job finished"),
    field(
        "managementserverid",
        "string",
        "management server running the job",
    ),
    field(
        "managementservername",
        "string",
        "name of that management server",
    ),
];

pub const QUERY_ASYNC_JOB_RESULT: CommandSpec = command(
    "queryAsyncJobResult",
    "Returns the status, and when finished the result, of an asynchronous job",
    Roles::ALL,
    &[&[ParamSpec::new("jobid", Uuid, "Job id")
        .required()
        .related("listAsyncJobs")]],
    flat(JOB_FIELDS),
);

pub const LIST_ASYNC_JOBS: CommandSpec = command(
    "listAsyncJobs",
    "Lists asynchronous jobs the caller can see",
    Roles::ALL,
    &[
        PAGING,
        super::OWNER_SCOPE,
        &[
            ParamSpec::new(
                "startdate",
                Date,
                "Only jobs submitted at or after this time",
            ),
            ParamSpec::new(
                "managementserverid",
                Uuid,
                "Only jobs of this management server",
            ),
        ],
    ],
    list("asyncjobs", JOB_FIELDS),
);
