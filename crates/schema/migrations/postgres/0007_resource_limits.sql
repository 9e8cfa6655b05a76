-- Resource limits and counts (CloudStack's resource_limit and resource_count).
-- owner_type is 'account' or 'domain'; a project will own its limits through its
-- project account, as in CloudStack. resource_type is CloudStack's type name (user_vm,
-- public_ip, ..., secondary_storage). Storage amounts are bytes, memory MiB.

-- Limits set with updateResourceLimit; an owner without a row gets the max.* default.
CREATE TABLE resource_limit (
    owner_type TEXT NOT NULL CHECK (owner_type IN ('account', 'domain')),
    owner_id BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    -- -1: unlimited.
    max_value BIGINT NOT NULL CHECK (max_value >= -1),
    PRIMARY KEY (owner_type, owner_id, resource_type)
);

-- What an account uses, and what every account of a domain's subtree uses together.
-- A row is created on first use; each reservation is one conditional UPDATE of it.
CREATE TABLE resource_count (
    owner_type TEXT NOT NULL CHECK (owner_type IN ('account', 'domain')),
    owner_id BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    count BIGINT NOT NULL DEFAULT 0 CHECK (count >= 0),
    PRIMARY KEY (owner_type, owner_id, resource_type)
);
