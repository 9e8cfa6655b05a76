//! addImageStore, addSecondaryStorage, listImageStores, updateImageStore,
//! deleteImageStore.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::image_store::{ImageStoreFilter, ImageStoreRow, NewImageStore};
use strato_schema::sql::Page;
use strato_schema::zone::InventoryTable;

use super::check_name;
use super::zones::zone_by_param;
use crate::{Ctx, paging};

/// `resource_detail.resource_type` of image store details.
const DETAIL_TYPE: &str = "ImageStore";

/// CloudStack's default image store provider, used for unknown provider names too.
const NFS_PROVIDER: &str = "NFS";

pub fn store_obj(s: &ImageStoreRow, object: &str) -> Obj {
    let mut o = Obj::new(object)
        .str("id", &s.uuid)
        .opt_str("zoneid", s.zone_uuid.clone())
        .opt_str("zonename", s.zone_name.clone())
        .str("name", &s.name)
        .str("url", &s.url)
        .str("protocol", &s.protocol)
        .str("providername", &s.provider)
        .str("scope", &s.scope)
        .bool("readonly", s.readonly);
    if let Some(t) = s.total_bytes {
        o = o.int("disksizetotal", t);
    }
    if let Some(u) = s.used_bytes {
        o = o.int("disksizeused", u);
    }
    o.bool("hasannotations", false)
}

/// Checks an image store URL and returns its protocol (the lower-cased scheme).
fn store_protocol(url: &str) -> Result<String, ApiError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        ApiError::param(format!(
            "scheme is null {url} (parameter url), add nfs:// (or cifs://) as a prefix"
        ))
    })?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "nfs" | "cifs" => {
            if host.trim().is_empty() || path.trim_matches('/').is_empty() {
                return Err(ApiError::param(format!(
                    "Your host and/or path is wrong (parameter url {url}). Make sure it's of the \
                     format {scheme}://hostname/path"
                )));
            }
        }
        "file" => {
            if path.trim_matches('/').is_empty() {
                return Err(ApiError::param(format!(
                    "host or path is null (parameter url {url}), should be file://localhost/path"
                )));
            }
        }
        _ => {
            return Err(ApiError::param(format!(
                "Unsupported scheme {scheme} for image store url {url} (parameter url): use \
                 nfs://, cifs:// or file://"
            )));
        }
    }
    Ok(scheme)
}

async fn store_by_param(
    conn: &mut Conn<'_>,
    args: &Args,
    param: &str,
) -> Result<ImageStoreRow, ApiError> {
    let id = args.required_str(param)?;
    conn.image_store_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found(param, id, "image store"))
}

/// CloudStack's `discoverImageStore`: one body for addImageStore and addSecondaryStorage.
async fn add_store(
    ctx: &Ctx,
    args: &Args,
    provider: &str,
    name: Option<&str>,
    details: Vec<(String, String)>,
) -> Result<ImageStoreRow, ApiError> {
    // S3 and Swift stores need their own drivers; any other unknown provider name falls
    // back to the default (NFS) provider, as in CloudStack.
    if ["s3", "swift"].contains(&provider.trim().to_ascii_lowercase().as_str()) {
        return Err(ApiError::param(format!(
            "Image store provider {provider} (parameter provider) is not supported yet; use NFS"
        )));
    }
    let url = args
        .str("url")
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::param("Parameter url is required for an NFS image store"))?;
    let protocol = store_protocol(url)?;
    let name = name.map(str::trim).unwrap_or(url);
    check_name("name", name).or_else(|e| {
        // The URL itself is the default name and contains slashes.
        if name == url { Ok(()) } else { Err(e) }
    })?;
    let mut tx = ctx.engine.store.begin().await?;
    if args.uuid("zoneid").is_none() {
        return Err(ApiError::param(
            "Parameter zoneid is required for an NFS image store",
        ));
    }
    let zone = zone_by_param(&mut tx.c(), args, "zoneid").await?;
    // Adding a store whose name exists returns that store (CloudStack's ImageStoreHelper).
    let same = ImageStoreFilter {
        name: Some(name.to_string()),
        ..ImageStoreFilter::default()
    };
    if let Some(existing) = tx.c().list_image_stores(&same, Page::ALL).await?.1.pop() {
        return Ok(existing);
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = tx
        .c()
        .insert_image_store(
            &NewImageStore {
                uuid: &uuid,
                name,
                zone_id: Some(zone.id),
                provider: NFS_PROVIDER,
                protocol: &protocol,
                url,
                scope: "ZONE",
            },
            strato_schema::now(),
        )
        .await?;
    for (k, v) in &details {
        tx.c().put_resource_detail(DETAIL_TYPE, id, k, v).await?;
    }
    let s = tx
        .c()
        .image_store_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("image store vanished"))?;
    tx.commit().await?;
    // Cross-zone templates get copies in the new store.
    ctx.engine.images.wake();
    Ok(s)
}

pub async fn add_image_store(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    // details[i].key=<name>&details[i].value=<value>
    let details = args
        .map("details")
        .unwrap_or_default()
        .iter()
        .filter_map(|m| Some((m.get("key")?.clone(), m.get("value")?.clone())))
        .collect();
    let provider = args.required_str("provider")?;
    let s = add_store(&ctx, &args, provider, args.str("name"), details).await?;
    Ok(Reply::Object(store_obj(&s, "imagestore")))
}

pub async fn add_secondary_storage(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let s = add_store(&ctx, &args, NFS_PROVIDER, None, Vec::new()).await?;
    Ok(Reply::Object(store_obj(&s, "secondarystorage")))
}

pub async fn list_image_stores(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let zone_id = match args.uuid("zoneid") {
        Some(_) => Some(zone_by_param(&mut db.c(), &args, "zoneid").await?.id),
        None => None,
    };
    let filter = ImageStoreFilter {
        uuid: args.uuid("id").map(str::to_string),
        name: args.str("name").map(str::to_string),
        zone_id,
        protocol: args.str("protocol").map(str::to_string),
        provider: args.str("provider").map(str::to_string),
        readonly: args.bool("readonly"),
        url: None,
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = db.c().list_image_stores(&filter, page).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(|s| store_obj(s, "imagestore")).collect(),
    ))
}

pub async fn update_image_store(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    if !["name", "readonly", "capacitybytes"]
        .iter()
        .any(|p| args.has(p))
    {
        return Err(ApiError::param(
            "At least one of the parameters name, readonly or capacitybytes must be given",
        ));
    }
    let mut tx = ctx.engine.store.begin().await?;
    let mut s = store_by_param(&mut tx.c(), &args, "id").await?;
    if let Some(n) = args.str("name").map(str::trim) {
        check_name("name", n)?;
        s.name = n.to_string();
    }
    if let Some(r) = args.bool("readonly") {
        s.readonly = r;
    }
    if let Some(c) = args.int("capacitybytes") {
        if c < 0 {
            return Err(ApiError::param(format!(
                "Invalid value {c} for parameter capacitybytes: must not be negative"
            )));
        }
        s.total_bytes = Some(c);
    }
    tx.c().update_image_store(&s).await?;
    let s = tx
        .c()
        .image_store_by_id(s.id)
        .await?
        .ok_or_else(|| ApiError::internal("image store vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(store_obj(&s, "imagestore")))
}

pub async fn delete_image_store(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let s = store_by_param(&mut tx.c(), &args, "id").await?;
    // Snapshots on image stores are not counted yet (CloudStack's in-use checks).
    // An uploaded volume lives in its store until it is copied to primary storage.
    let volumes = tx.c().count_store_volume_refs(s.id).await?;
    if volumes > 0 {
        return Err(ApiError::param(format!(
            "Cannot delete image store {} while it holds {volumes} uploaded volumes; attach \
             or delete them first",
            s.name
        )));
    }
    // Simulated template copies hold no bytes: they go with the store.
    tx.c().delete_simulated_store_refs(s.id).await?;
    let held = tx.c().count_store_template_refs(s.id).await?;
    if held > 0 {
        return Err(ApiError::param(format!(
            "Cannot delete image store {} while it holds {held} template or ISO copies; \
             delete them first",
            s.name
        )));
    }
    tx.c()
        .remove_row(InventoryTable::ImageStore, s.id, strato_schema::now())
        .await?;
    tx.commit().await?;
    Ok(Reply::success())
}

#[cfg(test)]
mod tests {
    use super::store_protocol;

    #[test]
    fn protocols() {
        assert_eq!(
            store_protocol("nfs://10.147.28.6:/export/home/sandbox/secondary").ok(),
            Some("nfs".to_string())
        );
        assert_eq!(
            store_protocol("file:///var/secondary").ok(),
            Some("file".to_string())
        );
        assert!(store_protocol("nfs://host").is_err());
        assert!(store_protocol("ftp://host/x").is_err());
    }
}
