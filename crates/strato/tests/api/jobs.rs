//! Async jobs: queuing, results, and what survives a restart.

use crate::common::{TestCloud, new_account};

#[tokio::test]
async fn jobs_and_keys_survive_restart() {
    let mut cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (user, acct) = new_account(&admin, "erin", None, "0").await;
    let user_id = acct["user"][0]["id"].as_str().expect("id").to_string();
    let job = admin.wait_job("disableUser", &[("id", &user_id)]).await;
    assert_eq!(job["jobstatus"], 1);
    assert_eq!(job["jobresultcode"], 0);
    assert_eq!(job["jobinstancetype"], "User");
    assert_eq!(job["jobresult"]["user"]["state"], "disabled");
    let job_id = job["jobid"].as_str().expect("jobid").to_string();

    cloud.restart().await;
    let admin = crate::common::Client::new(&cloud.url(), &admin.api_key, &admin.secret);
    let again = admin.ok("queryAsyncJobResult", &[("jobid", &job_id)]).await;
    assert_eq!(again["jobresult"], job["jobresult"]);
    let listed = admin.ok("listAsyncJobs", &[]).await;
    assert!(
        listed["asyncjobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .any(|j| j["jobid"] == job_id.as_str())
    );
    admin.ok("enableUser", &[("id", &user_id)]).await;
    let user = crate::common::Client::new(&cloud.url(), &user.api_key, &user.secret);
    assert_eq!(
        user.call("listUsers", &[]).await.status,
        200,
        "API keys work after restart"
    );
    // Another account cannot see the admin's job.
    user.err("queryAsyncJobResult", &[("jobid", &job_id)], 431)
        .await;
    cloud.stop().await;
}

#[tokio::test]
async fn failed_jobs_report_the_error() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let me = admin.ok("listUsers", &[("username", "admin")]).await["user"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let job = admin.wait_job("disableUser", &[("id", &me)]).await;
    assert_eq!(job["jobstatus"], 2);
    assert_eq!(job["jobresultcode"], 431);
    assert!(
        job["jobresult"]["errortext"]
            .as_str()
            .unwrap_or_default()
            .contains("itself"),
        "{job}"
    );
    // Validation errors are answered at once, not as a job.
    admin.err("disableUser", &[("id", "not-a-uuid")], 431).await;
    cloud.stop().await;
}
