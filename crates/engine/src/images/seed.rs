//! Built-in templates a fresh install has: CloudStack's simulator builds register
//! "CentOS 5.6 (64-bit) no GUI (Simulator)", public, featured and cross-zone, ready at
//! once in every Simulator zone (test suites deploy from it without registering one).

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::template::{NewTemplate, TemplateFilter, Visible};

/// The built-in Simulator template's name.
pub const SIMULATOR_TEMPLATE: &str = "CentOS 5.6 (64-bit) no GUI (Simulator)";
/// Guest OS "CentOS 5.6 (64-bit)".
const CENTOS_5_6_64: i64 = 142;
/// The `system` account owns built-in templates.
const SYSTEM_ACCOUNT: i64 = 1;
const ROOT_DOMAIN: i64 = 1;

/// Adds the built-in templates that are missing; runs at every start.
pub async fn run(c: &mut Conn<'_>) -> Result<(), ApiError> {
    let filter = TemplateFilter {
        visible: vec![Visible::Everything],
        include_system: true,
        name: Some(SIMULATOR_TEMPLATE.to_string()),
        template_type: Some("BUILTIN".to_string()),
        ..TemplateFilter::default()
    };
    if c.count_templates(&filter).await? > 0 {
        return Ok(());
    }
    c.insert_template(
        &NewTemplate {
            uuid: &uuid::Uuid::new_v4().to_string(),
            name: SIMULATOR_TEMPLATE,
            display_text: SIMULATOR_TEMPLATE,
            template_type: "BUILTIN",
            format: "VHD",
            hypervisor: "Simulator",
            guest_os_id: CENTOS_5_6_64,
            account_id: SYSTEM_ACCOUNT,
            domain_id: ROOT_DOMAIN,
            url: Some("http://nfs1.lab.vmops.com/templates/centos56-x86_64/latest/f59f18fb-ae94-4f97-afd2-f84755767aca.vhd.bz2"),
            checksum: None,
            is_public: true,
            featured: true,
            extractable: true,
            password_enabled: false,
            sshkey_enabled: false,
            bootable: true,
            requires_hvm: false,
            dynamically_scalable: false,
            cross_zones: true,
            bits: 64,
            arch: "x86_64",
            template_tag: None,
            source_template_id: None,
        },
        strato_schema::now(),
    )
    .await?;
    Ok(())
}
