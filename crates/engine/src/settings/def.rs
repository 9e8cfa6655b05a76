//! The shape of one global setting, as `listConfigurations` reports it.

/// Value type of a setting (`listConfigurations` `type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingType {
    String,
    Boolean,
    Integer,
    Long,
    Float,
    Double,
    /// A comma-separated list of strings.
    CsvString,
}

impl SettingType {
    pub fn name(self) -> &'static str {
        match self {
            SettingType::String => "String",
            SettingType::Boolean => "Boolean",
            SettingType::Integer => "Integer",
            SettingType::Long => "Long",
            SettingType::Float => "Float",
            SettingType::Double => "Double",
            SettingType::CsvString => "CSV",
        }
    }
}

/// One CloudStack global setting: its real key, category and default.
#[derive(Clone, Copy, Debug)]
pub struct SettingDef {
    /// CloudStack's key, e.g. `default.page.size`.
    pub name: &'static str,
    /// CloudStack's category, e.g. `Advanced`, `Alert`, `Network`, `Storage`, `Hidden`.
    pub category: &'static str,
    /// CloudStack's component name, e.g. `management-server`, `AgentManager`.
    pub component: &'static str,
    pub ty: SettingType,
    /// The default as text, exactly as CloudStack ships it.
    pub default: &'static str,
    /// Strato's own one-line description (never CloudStack's sentence).
    pub description: &'static str,
    /// True when a change takes effect without a restart.
    pub dynamic: bool,
    /// Allowed values for enumerated settings, comma-separated (`options`).
    pub options: Option<&'static str>,
}
