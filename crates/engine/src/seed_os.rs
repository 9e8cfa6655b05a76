//! Guest OS categories and guest OS types as a fresh CloudStack 4.22 installation has
//! them, seeded at every start (only missing rows are added).
//!
//! Ids and names come from CloudStack's `setup/db/templates.sql` and the numbered
//! `schema-*.sql` upgrade steps that insert rows with explicit ids; categories carry the
//! 4.21 clean-up (Fedora, Rocky Linux and AlmaLinux added, their OSes moved there; the
//! Novel, Unix and None categories removed and their OSes moved to Other; every category
//! featured, with the 4.21 sort order). Later CloudStack releases add OS types through a
//! stored procedure that takes AUTO_INCREMENT ids, so those have no fixed id; the few of
//! them listed here under [`LATER_OS`] get ids of our own above 10000. Ids are internal:
//! the API shows only the UUIDs, which CloudStack also generates per installation.

use strato_common::ApiError;
use strato_schema::Conn;

/// (id, name, sort key). Removed categories (8 Novel, 9 Unix, 11 None) are absent.
const CATEGORIES: &[(i64, &str, i64)] = &[
    (1, "CentOS", 4),
    (2, "Debian", 2),
    (3, "Oracle", 7),
    (4, "RedHat", 8),
    (5, "SUSE", 9),
    (6, "Windows", 10),
    (7, "Other", 11),
    (10, "Ubuntu", 1),
    (12, "Fedora", 3),
    (13, "Rocky Linux", 5),
    (14, "AlmaLinux", 6),
];

const CENTOS: i64 = 1;
const DEBIAN: i64 = 2;
const ORACLE: i64 = 3;
const REDHAT: i64 = 4;
const SUSE: i64 = 5;
const WINDOWS: i64 = 6;
const OTHER: i64 = 7;
const UBUNTU: i64 = 10;
const FEDORA: i64 = 12;
const ROCKY: i64 = 13;
const ALMA: i64 = 14;

/// (id, category, display name) with CloudStack's fixed ids.
const GUEST_OS: &[(i64, i64, &str)] = &[
    (1, CENTOS, "CentOS 4.5 (32-bit)"),
    (2, CENTOS, "CentOS 4.6 (32-bit)"),
    (3, CENTOS, "CentOS 4.7 (32-bit)"),
    (4, CENTOS, "CentOS 4.8 (32-bit)"),
    (5, CENTOS, "CentOS 5.0 (32-bit)"),
    (6, CENTOS, "CentOS 5.0 (64-bit)"),
    (7, CENTOS, "CentOS 5.1 (32-bit)"),
    (8, CENTOS, "CentOS 5.1 (64-bit)"),
    (9, CENTOS, "CentOS 5.2 (32-bit)"),
    (10, CENTOS, "CentOS 5.2 (64-bit)"),
    (11, CENTOS, "CentOS 5.3 (32-bit)"),
    (12, CENTOS, "CentOS 5.3 (64-bit)"),
    (13, CENTOS, "CentOS 5.4 (32-bit)"),
    (14, CENTOS, "CentOS 5.4 (64-bit)"),
    (15, DEBIAN, "Debian GNU/Linux 5.0 (32-bit)"),
    (16, ORACLE, "Oracle Enterprise Linux 5.0 (32-bit)"),
    (17, ORACLE, "Oracle Enterprise Linux 5.0 (64-bit)"),
    (18, ORACLE, "Oracle Enterprise Linux 5.1 (32-bit)"),
    (19, ORACLE, "Oracle Enterprise Linux 5.1 (64-bit)"),
    (20, ORACLE, "Oracle Enterprise Linux 5.2 (32-bit)"),
    (21, ORACLE, "Oracle Enterprise Linux 5.2 (64-bit)"),
    (22, ORACLE, "Oracle Enterprise Linux 5.3 (32-bit)"),
    (23, ORACLE, "Oracle Enterprise Linux 5.3 (64-bit)"),
    (24, ORACLE, "Oracle Enterprise Linux 5.4 (32-bit)"),
    (25, ORACLE, "Oracle Enterprise Linux 5.4 (64-bit)"),
    (26, REDHAT, "Red Hat Enterprise Linux 4.5 (32-bit)"),
    (27, REDHAT, "Red Hat Enterprise Linux 4.6 (32-bit)"),
    (28, REDHAT, "Red Hat Enterprise Linux 4.7 (32-bit)"),
    (29, REDHAT, "Red Hat Enterprise Linux 4.8 (32-bit)"),
    (30, REDHAT, "Red Hat Enterprise Linux 5.0 (32-bit)"),
    (31, REDHAT, "Red Hat Enterprise Linux 5.0 (64-bit)"),
    (32, REDHAT, "Red Hat Enterprise Linux 5.1 (32-bit)"),
    (33, REDHAT, "Red Hat Enterprise Linux 5.1 (64-bit)"),
    (34, REDHAT, "Red Hat Enterprise Linux 5.2 (32-bit)"),
    (35, REDHAT, "Red Hat Enterprise Linux 5.2 (64-bit)"),
    (36, REDHAT, "Red Hat Enterprise Linux 5.3 (32-bit)"),
    (37, REDHAT, "Red Hat Enterprise Linux 5.3 (64-bit)"),
    (38, REDHAT, "Red Hat Enterprise Linux 5.4 (32-bit)"),
    (39, REDHAT, "Red Hat Enterprise Linux 5.4 (64-bit)"),
    (40, SUSE, "SUSE Linux Enterprise Server 9 SP4 (32-bit)"),
    (41, SUSE, "SUSE Linux Enterprise Server 10 SP1 (32-bit)"),
    (42, SUSE, "SUSE Linux Enterprise Server 10 SP1 (64-bit)"),
    (43, SUSE, "SUSE Linux Enterprise Server 10 SP2 (32-bit)"),
    (44, SUSE, "SUSE Linux Enterprise Server 10 SP2 (64-bit)"),
    (45, SUSE, "SUSE Linux Enterprise Server 10 SP3 (64-bit)"),
    (46, SUSE, "SUSE Linux Enterprise Server 11 (32-bit)"),
    (47, SUSE, "SUSE Linux Enterprise Server 11 (64-bit)"),
    (48, WINDOWS, "Windows 7 (32-bit)"),
    (49, WINDOWS, "Windows 7 (64-bit)"),
    (
        50,
        WINDOWS,
        "Windows Server 2003 Enterprise Edition(32-bit)",
    ),
    (
        51,
        WINDOWS,
        "Windows Server 2003 Enterprise Edition(64-bit)",
    ),
    (52, WINDOWS, "Windows Server 2008 (32-bit)"),
    (53, WINDOWS, "Windows Server 2008 (64-bit)"),
    (54, WINDOWS, "Windows Server 2008 R2 (64-bit)"),
    (55, WINDOWS, "Windows 2000 Server SP4 (32-bit)"),
    (56, WINDOWS, "Windows Vista (32-bit)"),
    (57, WINDOWS, "Windows XP SP2 (32-bit)"),
    (58, WINDOWS, "Windows XP SP3 (32-bit)"),
    (59, UBUNTU, "Other Ubuntu (32-bit)"),
    (60, OTHER, "Other (32-bit)"),
    (61, WINDOWS, "Windows 2000 Server"),
    (62, WINDOWS, "Windows 98"),
    (63, WINDOWS, "Windows 95"),
    (64, WINDOWS, "Windows NT 4"),
    (65, WINDOWS, "Windows 3.1"),
    (66, REDHAT, "Red Hat Enterprise Linux 3(32-bit)"),
    (67, REDHAT, "Red Hat Enterprise Linux 3(64-bit)"),
    (68, OTHER, "Open Enterprise Server"),
    (69, OTHER, "Asianux 3(32-bit)"),
    (70, OTHER, "Asianux 3(64-bit)"),
    (72, DEBIAN, "Debian GNU/Linux 5(64-bit)"),
    (73, DEBIAN, "Debian GNU/Linux 4(32-bit)"),
    (74, DEBIAN, "Debian GNU/Linux 4(64-bit)"),
    (75, OTHER, "Other 2.6x Linux (32-bit)"),
    (76, OTHER, "Other 2.6x Linux (64-bit)"),
    // Novel (8) and Unix (9) OSes: moved to Other in 4.21.
    (77, OTHER, "Novell Netware 6.x"),
    (78, OTHER, "Novell Netware 5.1"),
    (79, OTHER, "Sun Solaris 10(32-bit)"),
    (80, OTHER, "Sun Solaris 10(64-bit)"),
    (81, OTHER, "Sun Solaris 9(Experimental)"),
    (82, OTHER, "Sun Solaris 8(Experimental)"),
    (83, OTHER, "FreeBSD (32-bit)"),
    (84, OTHER, "FreeBSD (64-bit)"),
    (85, OTHER, "SCO OpenServer 5"),
    (86, OTHER, "SCO UnixWare 7"),
    (
        87,
        WINDOWS,
        "Windows Server 2003 DataCenter Edition(32-bit)",
    ),
    (
        88,
        WINDOWS,
        "Windows Server 2003 DataCenter Edition(64-bit)",
    ),
    (89, WINDOWS, "Windows Server 2003 Standard Edition(32-bit)"),
    (90, WINDOWS, "Windows Server 2003 Standard Edition(64-bit)"),
    (91, WINDOWS, "Windows Server 2003 Web Edition"),
    (92, WINDOWS, "Microsoft Small Bussiness Server 2003"),
    (93, WINDOWS, "Windows XP (32-bit)"),
    (94, WINDOWS, "Windows XP (64-bit)"),
    (95, WINDOWS, "Windows 2000 Advanced Server"),
    (96, SUSE, "SUSE Linux Enterprise 8(32-bit)"),
    (97, SUSE, "SUSE Linux Enterprise 8(64-bit)"),
    (98, OTHER, "Other Linux (32-bit)"),
    (99, OTHER, "Other Linux (64-bit)"),
    (100, UBUNTU, "Other Ubuntu (64-bit)"),
    (101, WINDOWS, "Windows Vista (64-bit)"),
    (102, WINDOWS, "DOS"),
    (103, OTHER, "Other (64-bit)"),
    (104, OTHER, "OS/2"),
    (105, WINDOWS, "Windows 2000 Professional"),
    (106, REDHAT, "Red Hat Enterprise Linux 4(64-bit)"),
    (107, SUSE, "SUSE Linux Enterprise 9(32-bit)"),
    (108, SUSE, "SUSE Linux Enterprise 9(64-bit)"),
    (109, SUSE, "SUSE Linux Enterprise 10(32-bit)"),
    (110, SUSE, "SUSE Linux Enterprise 10(64-bit)"),
    (111, CENTOS, "CentOS 5.5 (32-bit)"),
    (112, CENTOS, "CentOS 5.5 (64-bit)"),
    (113, REDHAT, "Red Hat Enterprise Linux 5.5 (32-bit)"),
    (114, REDHAT, "Red Hat Enterprise Linux 5.5 (64-bit)"),
    // Seeded under RedHat; moved to Fedora in 4.21.
    (115, FEDORA, "Fedora 13"),
    (116, FEDORA, "Fedora 12"),
    (117, FEDORA, "Fedora 11"),
    (118, FEDORA, "Fedora 10"),
    (119, FEDORA, "Fedora 9"),
    (120, FEDORA, "Fedora 8"),
    (121, UBUNTU, "Ubuntu 10.04 (32-bit)"),
    (122, UBUNTU, "Ubuntu 9.10 (32-bit)"),
    (123, UBUNTU, "Ubuntu 9.04 (32-bit)"),
    (124, UBUNTU, "Ubuntu 8.10 (32-bit)"),
    (125, UBUNTU, "Ubuntu 8.04 (32-bit)"),
    (126, UBUNTU, "Ubuntu 10.04 (64-bit)"),
    (127, UBUNTU, "Ubuntu 9.10 (64-bit)"),
    (128, UBUNTU, "Ubuntu 9.04 (64-bit)"),
    (129, UBUNTU, "Ubuntu 8.10 (64-bit)"),
    (130, UBUNTU, "Ubuntu 8.04 (64-bit)"),
    (131, REDHAT, "Red Hat Enterprise Linux 2"),
    (132, DEBIAN, "Debian GNU/Linux 6(32-bit)"),
    (133, DEBIAN, "Debian GNU/Linux 6(64-bit)"),
    (134, ORACLE, "Oracle Enterprise Linux 5.5 (32-bit)"),
    (135, ORACLE, "Oracle Enterprise Linux 5.5 (64-bit)"),
    (136, REDHAT, "Red Hat Enterprise Linux 6.0 (32-bit)"),
    (137, REDHAT, "Red Hat Enterprise Linux 6.0 (64-bit)"),
    (138, OTHER, "None"),
    (139, OTHER, "Other PV (32-bit)"),
    (140, OTHER, "Other PV (64-bit)"),
    (141, CENTOS, "CentOS 5.6 (32-bit)"),
    (142, CENTOS, "CentOS 5.6 (64-bit)"),
    (143, CENTOS, "CentOS 6.0 (32-bit)"),
    (144, CENTOS, "CentOS 6.0 (64-bit)"),
    (145, ORACLE, "Oracle Enterprise Linux 5.6 (32-bit)"),
    (146, ORACLE, "Oracle Enterprise Linux 5.6 (64-bit)"),
    (147, ORACLE, "Oracle Enterprise Linux 6.0 (32-bit)"),
    (148, ORACLE, "Oracle Enterprise Linux 6.0 (64-bit)"),
    (149, REDHAT, "Red Hat Enterprise Linux 5.6 (32-bit)"),
    (150, REDHAT, "Red Hat Enterprise Linux 5.6 (64-bit)"),
    (151, SUSE, "SUSE Linux Enterprise Server 10 SP3 (32-bit)"),
    (152, SUSE, "SUSE Linux Enterprise Server 10 SP4 (64-bit)"),
    (153, SUSE, "SUSE Linux Enterprise Server 10 SP4 (32-bit)"),
    (154, SUSE, "SUSE Linux Enterprise Server 11 SP1 (64-bit)"),
    (155, SUSE, "SUSE Linux Enterprise Server 11 SP1 (32-bit)"),
    (156, UBUNTU, "Ubuntu 10.10 (32-bit)"),
    (157, UBUNTU, "Ubuntu 10.10 (64-bit)"),
    (158, OTHER, "Sun Solaris 11 (64-bit)"),
    (159, OTHER, "Sun Solaris 11 (32-bit)"),
    (160, WINDOWS, "Windows PV"),
    (161, CENTOS, "CentOS 5.7 (32-bit)"),
    (162, CENTOS, "CentOS 5.7 (64-bit)"),
    (163, UBUNTU, "Ubuntu 12.04 (32-bit)"),
    (164, UBUNTU, "Ubuntu 12.04 (64-bit)"),
    (165, WINDOWS, "Windows 8 (32-bit)"),
    (166, WINDOWS, "Windows 8 (64-bit)"),
    (167, WINDOWS, "Windows Server 2012 (64-bit)"),
    (169, UBUNTU, "Ubuntu 11.04 (32-bit)"),
    (170, UBUNTU, "Ubuntu 11.04 (64-bit)"),
    (171, CENTOS, "CentOS 6.3 (32-bit)"),
    (172, CENTOS, "CentOS 6.3 (64-bit)"),
    (173, CENTOS, "CentOS 5.8 (32-bit)"),
    (174, CENTOS, "CentOS 5.8 (64-bit)"),
    (175, CENTOS, "CentOS 5.9 (32-bit)"),
    (176, CENTOS, "CentOS 5.9 (64-bit)"),
    (177, CENTOS, "CentOS 6.1 (32-bit)"),
    (178, CENTOS, "CentOS 6.1 (64-bit)"),
    (179, CENTOS, "CentOS 6.2 (32-bit)"),
    (180, CENTOS, "CentOS 6.2 (64-bit)"),
    (181, CENTOS, "CentOS 6.4 (32-bit)"),
    (182, CENTOS, "CentOS 6.4 (64-bit)"),
    (183, DEBIAN, "Debian GNU/Linux 7(32-bit)"),
    (184, DEBIAN, "Debian GNU/Linux 7(64-bit)"),
    (185, SUSE, "SUSE Linux Enterprise Server 11 SP2 (64-bit)"),
    (186, SUSE, "SUSE Linux Enterprise Server 11 SP2 (32-bit)"),
    (187, SUSE, "SUSE Linux Enterprise Server 11 SP3 (64-bit)"),
    (188, SUSE, "SUSE Linux Enterprise Server 11 SP3 (32-bit)"),
    (189, REDHAT, "Red Hat Enterprise Linux 5.7 (32-bit)"),
    (190, REDHAT, "Red Hat Enterprise Linux 5.7 (64-bit)"),
    (191, REDHAT, "Red Hat Enterprise Linux 5.8 (32-bit)"),
    (192, REDHAT, "Red Hat Enterprise Linux 5.8 (64-bit)"),
    (193, REDHAT, "Red Hat Enterprise Linux 5.9 (32-bit)"),
    (194, REDHAT, "Red Hat Enterprise Linux 5.9 (64-bit)"),
    (195, REDHAT, "Red Hat Enterprise Linux 6.1 (32-bit)"),
    (196, REDHAT, "Red Hat Enterprise Linux 6.1 (64-bit)"),
    (197, REDHAT, "Red Hat Enterprise Linux 6.2 (32-bit)"),
    (198, REDHAT, "Red Hat Enterprise Linux 6.2 (64-bit)"),
    (199, REDHAT, "Red Hat Enterprise Linux 6.3 (32-bit)"),
    (200, CENTOS, "Other CentOS (32-bit)"),
    (201, CENTOS, "Other CentOS (64-bit)"),
    (202, SUSE, "Other SUSE Linux(32-bit)"),
    (203, SUSE, "Other SUSE Linux(64-bit)"),
    (204, REDHAT, "Red Hat Enterprise Linux 6.3 (64-bit)"),
    (205, REDHAT, "Red Hat Enterprise Linux 6.4 (32-bit)"),
    (206, REDHAT, "Red Hat Enterprise Linux 6.4 (64-bit)"),
    (207, ORACLE, "Oracle Enterprise Linux 5.7 (32-bit)"),
    (208, ORACLE, "Oracle Enterprise Linux 5.7 (64-bit)"),
    (209, ORACLE, "Oracle Enterprise Linux 5.8 (32-bit)"),
    (210, ORACLE, "Oracle Enterprise Linux 5.8 (64-bit)"),
    (211, ORACLE, "Oracle Enterprise Linux 5.9 (32-bit)"),
    (212, ORACLE, "Oracle Enterprise Linux 5.9 (64-bit)"),
    (213, ORACLE, "Oracle Enterprise Linux 6.1 (32-bit)"),
    (214, ORACLE, "Oracle Enterprise Linux 6.1 (64-bit)"),
    (215, ORACLE, "Oracle Enterprise Linux 6.2 (32-bit)"),
    (216, ORACLE, "Oracle Enterprise Linux 6.2 (64-bit)"),
    (217, ORACLE, "Oracle Enterprise Linux 6.3 (32-bit)"),
    (218, ORACLE, "Oracle Enterprise Linux 6.3 (64-bit)"),
    (219, ORACLE, "Oracle Enterprise Linux 6.4 (32-bit)"),
    (220, ORACLE, "Oracle Enterprise Linux 6.4 (64-bit)"),
    (221, OTHER, "Apple Mac OS X 10.6 (32-bit)"),
    (222, OTHER, "Apple Mac OS X 10.6 (64-bit)"),
    (223, OTHER, "Apple Mac OS X 10.7 (32-bit)"),
    (224, OTHER, "Apple Mac OS X 10.7 (64-bit)"),
    (241, UBUNTU, "Ubuntu 14.04 (32-bit)"),
    (254, UBUNTU, "Ubuntu 14.04 (64-bit)"),
    (255, UBUNTU, "Ubuntu 16.04 (32-bit)"),
    (256, UBUNTU, "Ubuntu 16.04 (64-bit)"),
    (257, WINDOWS, "Windows 10 (32-bit)"),
    (258, WINDOWS, "Windows 10 (64-bit)"),
    (259, WINDOWS, "Windows Server 2016 (64-bit)"),
    (260, CENTOS, "CentOS 7.1"),
    (261, CENTOS, "CentOS 6.6 (32-bit)"),
    (262, CENTOS, "CentOS 6.6 (64-bit)"),
    (263, CENTOS, "CentOS 6.7 (32-bit)"),
    (264, CENTOS, "CentOS 6.7 (64-bit)"),
    (265, REDHAT, "Red Hat Enterprise Linux 6.6 (32-bit)"),
    (266, REDHAT, "Red Hat Enterprise Linux 6.6 (64-bit)"),
    (267, REDHAT, "Red Hat Enterprise Linux 6.7 (32-bit)"),
    (268, REDHAT, "Red Hat Enterprise Linux 6.7 (64-bit)"),
    (269, DEBIAN, "Debian GNU/Linux 8 (32-bit)"),
    (270, DEBIAN, "Debian GNU/Linux 8 (64-bit)"),
    (271, OTHER, "CoreOS"),
    (272, REDHAT, "Red Hat Enterprise Linux 7.1"),
    (273, REDHAT, "Red Hat Enterprise Linux 7.2"),
    (274, CENTOS, "CentOS 7.2"),
    (276, WINDOWS, "Windows Server 2019 (64-bit)"),
    // Inserted under CentOS in 4.13, corrected in the 4.14 upgrade.
    (277, UBUNTU, "Ubuntu 17.04"),
    (278, UBUNTU, "Ubuntu 17.10"),
    (279, UBUNTU, "Ubuntu 18.04 LTS"),
    (280, UBUNTU, "Ubuntu 18.10"),
    (281, UBUNTU, "Ubuntu 19.04"),
    (282, REDHAT, "Red Hat Enterprise Linux 7.3"),
    (283, REDHAT, "Red Hat Enterprise Linux 7.4"),
    (284, REDHAT, "Red Hat Enterprise Linux 7.5"),
    (285, REDHAT, "Red Hat Enterprise Linux 7.6"),
    (286, REDHAT, "Red Hat Enterprise Linux 8.0"),
    (289, DEBIAN, "Debian GNU/Linux 9 (32-bit)"),
    (290, DEBIAN, "Debian GNU/Linux 9 (64-bit)"),
    (291, SUSE, "SUSE Linux Enterprise Server 15 (64-bit)"),
    (292, DEBIAN, "Debian GNU/Linux 10 (32-bit)"),
    (293, DEBIAN, "Debian GNU/Linux 10 (64-bit)"),
    (296, ORACLE, "Oracle Linux 8"),
    (297, CENTOS, "CentOS 8"),
    (298, OTHER, "FreeBSD 11 (32-bit)"),
    (299, OTHER, "FreeBSD 11 (64-bit)"),
    (300, OTHER, "FreeBSD 12 (32-bit)"),
    (301, OTHER, "FreeBSD 12 (64-bit)"),
    (302, CENTOS, "CentOS 6.8"),
    (303, CENTOS, "CentOS 6.9"),
    (304, CENTOS, "CentOS 6.10"),
];

/// OS types CloudStack adds with AUTO_INCREMENT ids (no fixed id upstream).
const LATER_OS: &[(i64, i64, &str)] = &[
    (10001, UBUNTU, "Ubuntu 20.04 LTS"),
    (10002, UBUNTU, "Ubuntu 22.04 LTS"),
    (10003, UBUNTU, "Ubuntu 24.04 LTS"),
    (10004, DEBIAN, "Debian GNU/Linux 11 (64-bit)"),
    (10005, DEBIAN, "Debian GNU/Linux 12 (64-bit)"),
    (10006, ROCKY, "Rocky Linux 8"),
    (10007, ROCKY, "Rocky Linux 9"),
    (10008, ALMA, "AlmaLinux 8"),
    (10009, ALMA, "AlmaLinux 9"),
    (10010, REDHAT, "Red Hat Enterprise Linux 9.0"),
    (10011, ORACLE, "Oracle Linux 9"),
    (10012, CENTOS, "CentOS Stream 9"),
    (10013, WINDOWS, "Windows Server 2022 (64-bit)"),
    (10014, WINDOWS, "Windows 11 (64-bit)"),
];

/// Adds whatever categories and OS types are missing.
pub async fn run(c: &mut Conn<'_>) -> Result<(), ApiError> {
    let now = strato_schema::now();
    let present: std::collections::HashSet<i64> = c.guest_os_ids().await?.into_iter().collect();
    if GUEST_OS
        .iter()
        .chain(LATER_OS)
        .all(|(id, _, _)| present.contains(id))
    {
        return Ok(());
    }
    for (id, name, sort) in CATEGORIES {
        c.seed_os_category(*id, &uuid::Uuid::new_v4().to_string(), name, *sort, now)
            .await?;
    }
    for (id, category, name) in GUEST_OS.iter().chain(LATER_OS) {
        if !present.contains(id) {
            c.seed_guest_os(*id, &uuid::Uuid::new_v4().to_string(), *category, name)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_categories_exist() {
        let mut seen = std::collections::HashSet::new();
        for (id, category, name) in GUEST_OS.iter().chain(LATER_OS) {
            assert!(seen.insert(*id), "guest OS id {id} twice");
            assert!(
                CATEGORIES.iter().any(|(c, _, _)| c == category),
                "{name}: unknown category {category}"
            );
        }
        assert!(GUEST_OS.contains(&(12, CENTOS, "CentOS 5.3 (64-bit)")));
        assert!(GUEST_OS.contains(&(142, CENTOS, "CentOS 5.6 (64-bit)")));
    }
}
