//! prepareTemplate on a Simulator zone: admins only, the template as listTemplates shows
//! it, CloudStack's codes for bad input. (The copy really landing in a pool is checked on
//! KVM, in the `kvm` test target.)

use crate::common::{TestCloud, new_account};
use crate::vms::sim_zone;

#[tokio::test]
async fn prepare_template_is_for_admins_and_checks_its_input() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let params = [
        ("templateid", z.template.as_str()),
        ("zoneid", z.zone.as_str()),
    ];
    let r = admin.ok("prepareTemplate", &params).await;
    assert_eq!(r["count"], 1, "{r}");
    assert_eq!(r["template"][0]["id"], z.template.as_str());
    assert_eq!(r["template"][0]["zoneid"], z.zone.as_str());
    assert_eq!(r["template"][0]["isready"], true);

    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    user.err("prepareTemplate", &params, 432).await;
    let text = admin
        .err("prepareTemplate", &[("templateid", &z.template)], 431)
        .await;
    assert!(text.contains("zoneid"), "{text}");
    let text = admin
        .err(
            "prepareTemplate",
            &[
                ("templateid", &z.template),
                ("zoneid", &z.zone),
                ("storageid", "0b3c5f4e-1d2a-4e6f-9a8b-7c6d5e4f3a2b"),
            ],
            431,
        )
        .await;
    assert!(text.contains("storageid"), "{text}");
    // A zone where the template has no ready copy.
    let other = admin
        .ok(
            "createZone",
            &[
                ("name", "empty"),
                ("networktype", "Advanced"),
                ("dns1", "10.147.28.6"),
                ("internaldns1", "10.147.28.6"),
            ],
        )
        .await["zone"]["id"]
        .as_str()
        .expect("zone")
        .to_string();
    let text = admin
        .err(
            "prepareTemplate",
            &[("templateid", &z.template), ("zoneid", &other)],
            431,
        )
        .await;
    assert!(text.contains("not ready"), "{text}");
    cloud.stop().await;
}
