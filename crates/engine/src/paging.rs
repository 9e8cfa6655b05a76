//! `page` / `pagesize` as CloudStack checks them.

use strato_api::params::Args;
use strato_common::ApiError;
use strato_schema::sql::Page;

use crate::settings::Settings;

pub fn page(args: &Args, settings: &Settings) -> Result<Page, ApiError> {
    let max = settings.default_page_size();
    let page = args.int("page");
    let size = args.int("pagesize");
    match (page, size) {
        (None, None) => Ok(Page {
            limit: (max > 0).then_some(max),
            offset: 0,
        }),
        (None, Some(-1)) => Ok(Page::ALL),
        (Some(_), Some(-1)) => Err(ApiError::param(
            "Can't specify page parameter when pagesize is -1 (Unlimited)",
        )),
        (Some(_), None) => Err(ApiError::param(
            "\"pagesize\" parameter is required when \"page\" is specified",
        )),
        (None, Some(_)) => Err(ApiError::param(
            "\"page\" parameter is required when \"pagesize\" is specified",
        )),
        (Some(p), Some(s)) => {
            if s <= 0 {
                return Err(ApiError::param(format!(
                    "Invalid value {s} for parameter pagesize: must be positive or -1"
                )));
            }
            if max > 0 && s > max {
                return Err(ApiError::param(format!(
                    "Page size can't exceed max allowed page size value: {max}"
                )));
            }
            Ok(Page {
                limit: Some(s),
                offset: (p.max(1) - 1).saturating_mul(s),
            })
        }
    }
}
