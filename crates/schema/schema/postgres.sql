-- PostgreSQL schema after all migrations (generated; see tests/schema.rs)

-- table account
account.account_type bigint NOT NULL
account.api_key_access text NULL
account.created timestamp with time zone NOT NULL
account.domain_id bigint NOT NULL
account.id bigint NOT NULL
account.is_default boolean NOT NULL
account.name text NOT NULL
account.network_domain text NULL
account.removed timestamp with time zone NULL
account.role_id bigint NOT NULL
account.state text NOT NULL
account.update_count bigint NOT NULL DEFAULT 0
account.uuid text NOT NULL

-- table account_detail
account_detail.account_id bigint NOT NULL
account_detail.name text NOT NULL
account_detail.value text NOT NULL

-- table async_job
async_job.account_id bigint NOT NULL
async_job.cmd text NOT NULL
async_job.completed timestamp with time zone NULL
async_job.created timestamp with time zone NOT NULL
async_job.id bigint NOT NULL
async_job.instance_id text NULL
async_job.instance_type text NULL
async_job.owner_msid text NULL
async_job.params text NOT NULL
async_job.result text NULL
async_job.result_code bigint NOT NULL
async_job.started timestamp with time zone NULL
async_job.status bigint NOT NULL
async_job.update_count bigint NOT NULL DEFAULT 0
async_job.user_id bigint NOT NULL
async_job.uuid text NOT NULL

-- table configuration
configuration.name text NOT NULL
configuration.updated timestamp with time zone NOT NULL
configuration.value text NOT NULL

-- table domain
domain.created timestamp with time zone NOT NULL
domain.id bigint NOT NULL
domain.level bigint NOT NULL
domain.name text NOT NULL
domain.network_domain text NULL
domain.parent_id bigint NULL
domain.path text NOT NULL
domain.removed timestamp with time zone NULL
domain.state text NOT NULL
domain.update_count bigint NOT NULL DEFAULT 0
domain.uuid text NOT NULL

-- table event
event.account_id bigint NOT NULL
event.archived boolean NOT NULL
event.created timestamp with time zone NOT NULL
event.description text NOT NULL
event.domain_id bigint NOT NULL
event.event_type text NOT NULL
event.id bigint NOT NULL
event.level text NOT NULL
event.parent_id text NULL
event.resource_id text NULL
event.resource_name text NULL
event.resource_type text NULL
event.state text NOT NULL
event.user_id bigint NULL
event.uuid text NOT NULL

-- table mshost
mshost.id bigint NOT NULL
mshost.last_heartbeat timestamp with time zone NOT NULL
mshost.name text NOT NULL
mshost.started timestamp with time zone NOT NULL
mshost.state text NOT NULL
mshost.uuid text NOT NULL
mshost.version text NOT NULL

-- table role
role.created timestamp with time zone NOT NULL
role.description text NULL
role.id bigint NOT NULL
role.is_default boolean NOT NULL
role.is_public boolean NOT NULL
role.name text NOT NULL
role.removed timestamp with time zone NULL
role.role_type text NOT NULL
role.state text NOT NULL
role.uuid text NOT NULL

-- table role_permission
role_permission.description text NULL
role_permission.id bigint NOT NULL
role_permission.permission text NOT NULL
role_permission.role_id bigint NOT NULL
role_permission.rule text NOT NULL
role_permission.sort_order bigint NOT NULL
role_permission.uuid text NOT NULL

-- table session
session.created timestamp with time zone NOT NULL
session.id text NOT NULL
session.last_seen timestamp with time zone NOT NULL
session.session_key text NOT NULL
session.user_id bigint NOT NULL

-- table users
users.account_id bigint NOT NULL
users.api_key text NULL
users.api_key_access text NULL
users.created timestamp with time zone NOT NULL
users.email text NULL
users.firstname text NOT NULL
users.id bigint NOT NULL
users.is_default boolean NOT NULL
users.lastname text NOT NULL
users.password_hash text NOT NULL
users.removed timestamp with time zone NULL
users.secret_key text NULL
users.source text NOT NULL
users.state text NOT NULL
users.timezone text NULL
users.update_count bigint NOT NULL DEFAULT 0
users.username text NOT NULL
users.uuid text NOT NULL

-- indexes
CREATE UNIQUE INDEX account_live_name ON public.account USING btree (domain_id, name) WHERE (removed IS NULL);
CREATE UNIQUE INDEX account_pkey ON public.account USING btree (id);
CREATE UNIQUE INDEX account_uuid_key ON public.account USING btree (uuid);
CREATE UNIQUE INDEX account_detail_pkey ON public.account_detail USING btree (account_id, name);
CREATE INDEX async_job_account ON public.async_job USING btree (account_id);
CREATE INDEX async_job_pending ON public.async_job USING btree (status, owner_msid);
CREATE UNIQUE INDEX async_job_pkey ON public.async_job USING btree (id);
CREATE UNIQUE INDEX async_job_uuid_key ON public.async_job USING btree (uuid);
CREATE UNIQUE INDEX configuration_pkey ON public.configuration USING btree (name);
CREATE UNIQUE INDEX domain_live_path ON public.domain USING btree (path) WHERE (removed IS NULL);
CREATE UNIQUE INDEX domain_pkey ON public.domain USING btree (id);
CREATE UNIQUE INDEX domain_uuid_key ON public.domain USING btree (uuid);
CREATE INDEX event_account ON public.event USING btree (account_id, created);
CREATE INDEX event_domain ON public.event USING btree (domain_id, created);
CREATE UNIQUE INDEX event_pkey ON public.event USING btree (id);
CREATE UNIQUE INDEX event_uuid_key ON public.event USING btree (uuid);
CREATE UNIQUE INDEX mshost_pkey ON public.mshost USING btree (id);
CREATE UNIQUE INDEX mshost_uuid_key ON public.mshost USING btree (uuid);
CREATE UNIQUE INDEX role_pkey ON public.role USING btree (id);
CREATE UNIQUE INDEX role_uuid_key ON public.role USING btree (uuid);
CREATE UNIQUE INDEX role_permission_pkey ON public.role_permission USING btree (id);
CREATE INDEX role_permission_role ON public.role_permission USING btree (role_id, sort_order);
CREATE UNIQUE INDEX role_permission_uuid_key ON public.role_permission USING btree (uuid);
CREATE UNIQUE INDEX session_pkey ON public.session USING btree (id);
CREATE INDEX "session_user" ON public.session USING btree (user_id);
CREATE INDEX users_account ON public.users USING btree (account_id);
CREATE UNIQUE INDEX users_api_key_key ON public.users USING btree (api_key);
CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id);
CREATE INDEX users_username ON public.users USING btree (username);
CREATE UNIQUE INDEX users_uuid_key ON public.users USING btree (uuid);

-- constraints
account account_domain_id_fkey: FOREIGN KEY (domain_id) REFERENCES domain(id)
account account_pkey: PRIMARY KEY (id)
account account_role_id_fkey: FOREIGN KEY (role_id) REFERENCES role(id)
account account_uuid_key: UNIQUE (uuid)
account_detail account_detail_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
account_detail account_detail_pkey: PRIMARY KEY (account_id, name)
async_job async_job_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
async_job async_job_pkey: PRIMARY KEY (id)
async_job async_job_user_id_fkey: FOREIGN KEY (user_id) REFERENCES users(id)
async_job async_job_uuid_key: UNIQUE (uuid)
configuration configuration_pkey: PRIMARY KEY (name)
domain domain_parent_id_fkey: FOREIGN KEY (parent_id) REFERENCES domain(id)
domain domain_pkey: PRIMARY KEY (id)
domain domain_uuid_key: UNIQUE (uuid)
event event_pkey: PRIMARY KEY (id)
event event_uuid_key: UNIQUE (uuid)
mshost mshost_pkey: PRIMARY KEY (id)
mshost mshost_uuid_key: UNIQUE (uuid)
role role_pkey: PRIMARY KEY (id)
role role_uuid_key: UNIQUE (uuid)
role_permission role_permission_pkey: PRIMARY KEY (id)
role_permission role_permission_role_id_fkey: FOREIGN KEY (role_id) REFERENCES role(id)
role_permission role_permission_uuid_key: UNIQUE (uuid)
session session_pkey: PRIMARY KEY (id)
session session_user_id_fkey: FOREIGN KEY (user_id) REFERENCES users(id)
users users_account_id_fkey: FOREIGN KEY (account_id) REFERENCES account(id)
users users_api_key_key: UNIQUE (api_key)
users users_pkey: PRIMARY KEY (id)
users users_uuid_key: UNIQUE (uuid)
