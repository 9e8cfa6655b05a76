//! Command declarations: the single source for parsing, validation, role checks,
//! `listApis` and the OpenAPI document.

/// Parameter types as `listApis` reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    Uuid,
    String,
    Boolean,
    Integer,
    Long,
    Date,
    TzDate,
    List,
    Map,
}

impl ParamType {
    pub fn name(self) -> &'static str {
        match self {
            ParamType::Uuid => "uuid",
            ParamType::String => "string",
            ParamType::Boolean => "boolean",
            ParamType::Integer => "integer",
            ParamType::Long => "long",
            ParamType::Date => "date",
            ParamType::TzDate => "tzdate",
            ParamType::List => "list",
            ParamType::Map => "map",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    /// Lower-case name; requests are matched case-insensitively.
    pub name: &'static str,
    pub ty: ParamType,
    pub required: bool,
    /// Maximum length of the raw value.
    pub length: usize,
    pub description: &'static str,
    /// The command that lists the entity this id refers to (`listApis` `related`).
    pub related: Option<&'static str>,
}

pub const DEFAULT_PARAM_LENGTH: usize = 255;

impl ParamSpec {
    pub const fn new(name: &'static str, ty: ParamType, description: &'static str) -> Self {
        ParamSpec {
            name,
            ty,
            required: false,
            length: DEFAULT_PARAM_LENGTH,
            description,
            related: None,
        }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn length(mut self, length: usize) -> Self {
        self.length = length;
        self
    }
    pub const fn related(mut self, command: &'static str) -> Self {
        self.related = Some(command);
        self
    }
}

/// Role types (CloudStack's `RoleType`), as a bit mask of who may call a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roles(u8);

impl Roles {
    pub const ADMIN: Roles = Roles(1);
    pub const RESOURCE_ADMIN: Roles = Roles(2);
    pub const DOMAIN_ADMIN: Roles = Roles(4);
    pub const USER: Roles = Roles(8);
    pub const ALL: Roles = Roles(15);
    /// Admin, ResourceAdmin and DomainAdmin.
    pub const ADMINS: Roles = Roles(7);
    pub const ROOT_AND_DOMAIN_ADMIN: Roles = Roles(5);

    pub const fn contains(self, other: Roles) -> bool {
        self.0 & other.0 == other.0
    }
}

/// How the response body of a command is shaped (`catalog.json` `response.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseKind {
    /// `{resp:{count:N, <object>:[..]}}`
    List,
    /// `{resp:{<object>:{..}}}`
    Object,
    /// `{resp:{success:true}}`
    Success,
    /// `{resp:{fields..}}`
    Flat,
}

#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    /// `string`, `boolean`, `integer`, `long`, `date`, `map`, `list`, `set`, `uuid`.
    pub ty: &'static str,
    pub description: &'static str,
}

pub const fn field(name: &'static str, ty: &'static str, description: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        description,
    }
}

#[derive(Clone, Copy, Debug)]
pub struct ResponseSpec {
    pub kind: ResponseKind,
    /// Object key (list item name or wrapped object name); empty for success/flat.
    pub object: &'static str,
    pub fields: &'static [FieldSpec],
}

#[derive(Clone, Copy, Debug)]
pub struct CommandSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub since: Option<&'static str>,
    pub is_async: bool,
    /// Role types allowed when no role permission rule decides.
    pub roles: Roles,
    /// Parameter groups (shared groups such as paging come first).
    pub params: &'static [&'static [ParamSpec]],
    pub response: ResponseSpec,
    /// Legacy top-level response name when it is not `lower(name) + "response"`.
    pub response_name: Option<&'static str>,
    /// The entity type named in `jobinstancetype` of this command's async jobs.
    pub instance_type: Option<&'static str>,
    /// CloudStack event type written when the command changes something.
    pub event: Option<&'static str>,
}

impl CommandSpec {
    pub fn response_name(&self) -> String {
        match self.response_name {
            Some(name) => name.to_string(),
            None => format!("{}response", self.name.to_ascii_lowercase()),
        }
    }

    pub fn params(&self) -> impl Iterator<Item = &'static ParamSpec> {
        self.params.iter().flat_map(|group| group.iter())
    }

    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params().find(|p| p.name == name)
    }
}

/// A `CommandSpec` with the fields most commands leave at their default.
pub const fn command(
    name: &'static str,
    description: &'static str,
    roles: Roles,
    params: &'static [&'static [ParamSpec]],
    response: ResponseSpec,
) -> CommandSpec {
    CommandSpec {
        name,
        description,
        since: None,
        is_async: false,
        roles,
        params,
        response,
        response_name: None,
        instance_type: None,
        event: None,
    }
}

impl CommandSpec {
    pub const fn asynchronous(mut self, instance_type: &'static str) -> Self {
        self.is_async = true;
        self.instance_type = Some(instance_type);
        self
    }
    pub const fn event(mut self, event_type: &'static str) -> Self {
        self.event = Some(event_type);
        self
    }
    pub const fn since(mut self, version: &'static str) -> Self {
        self.since = Some(version);
        self
    }
    /// A legacy top-level response name (CloudStack's `getCommandName` override).
    pub const fn legacy_response_name(mut self, name: &'static str) -> Self {
        self.response_name = Some(name);
        self
    }
}

pub const fn list(object: &'static str, fields: &'static [FieldSpec]) -> ResponseSpec {
    ResponseSpec {
        kind: ResponseKind::List,
        object,
        fields,
    }
}

pub const fn object(object: &'static str, fields: &'static [FieldSpec]) -> ResponseSpec {
    ResponseSpec {
        kind: ResponseKind::Object,
        object,
        fields,
    }
}

pub const fn flat(fields: &'static [FieldSpec]) -> ResponseSpec {
    ResponseSpec {
        kind: ResponseKind::Flat,
        object: "",
        fields,
    }
}

pub const SUCCESS: ResponseSpec = ResponseSpec {
    kind: ResponseKind::Success,
    object: "",
    fields: &[
        field(
            "success",
            "boolean",
            "true if the operation was carried out",
        ),
        field("displaytext", "string", "any text the operation returned"),
    ],
};
