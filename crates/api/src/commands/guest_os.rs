//! Guest operating system types and their categories.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const OS_CATEGORY_FIELDS: &[FieldSpec] = &[
    field("id", "string", "category id"),
    field("name", "string", "category name"),
    field("isfeatured", "boolean", "true if the category is featured"),
    field("created", "date", "when the category was added"),
];

pub const OS_TYPE_FIELDS: &[FieldSpec] = &[
    field("id", "string", "OS type id"),
    field("name", "string", "OS name"),
    field("description", "string", "OS name as shown to users"),
    field("oscategoryid", "string", "category of the OS"),
    field("oscategoryname", "string", "name of that category"),
    field(
        "isuserdefined",
        "boolean",
        "true if an administrator added the OS",
    ),
    field("fordisplay", "boolean", "true if shown to end users"),
];

pub const LIST_OS_CATEGORIES: CommandSpec = command(
    "listOsCategories",
    "Lists the categories guest operating systems are grouped in",
    Roles::ALL,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this category").related("listOsCategories"),
            ParamSpec::new("name", String, "Only the category with this name"),
            ParamSpec::new(
                "isfeatured",
                Boolean,
                "Only featured (true) or other (false) categories",
            ),
        ],
    ],
    list("oscategory", OS_CATEGORY_FIELDS),
);

pub const LIST_OS_TYPES: CommandSpec = command(
    "listOsTypes",
    "Lists guest operating system types",
    Roles::ALL,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this OS type").related("listOsTypes"),
            ParamSpec::new("ids", List, "Only these OS types"),
            ParamSpec::new("oscategoryid", Uuid, "Only OS types of this category")
                .related("listOsCategories"),
            ParamSpec::new("description", String, "Only OS types with this name"),
            ParamSpec::new(
                "fordisplay",
                Boolean,
                "Only OS types shown (true) or hidden (false) to users",
            ),
        ],
    ],
    list("ostype", OS_TYPE_FIELDS),
);
