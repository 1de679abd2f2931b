-- name: CreateClient :exec
INSERT INTO clients (
	realm_name, id, client_id, name, description, enabled, public_client, bearer_only,
	standard_flow_enabled, direct_access_grants_enabled, service_accounts_enabled,
	redirect_uris, web_origins, root_url, base_url, attributes,
	default_client_scopes, optional_client_scopes, secret_hash, sealed_secret, created_at, updated_at, extra,
	full_scope_allowed
) VALUES (
	@realm_name, @id, @client_id, @name, @description, @enabled, @public_client, @bearer_only,
	@standard_flow_enabled, @direct_access_grants_enabled, @service_accounts_enabled,
	@redirect_uris, @web_origins, @root_url, @base_url, @attributes,
	@default_client_scopes, @optional_client_scopes, @secret_hash, @sealed_secret, @created_at, @updated_at, @extra,
	@full_scope_allowed
);

-- name: GetClient :one
SELECT * FROM clients WHERE realm_name = @realm_name AND id = @id;

-- name: GetClientByClientID :one
SELECT * FROM clients WHERE realm_name = @realm_name AND client_id = @client_id;

-- name: LockClient :one
SELECT * FROM clients WHERE realm_name = @realm_name AND id = @id FOR UPDATE;

-- name: ListClients :many
SELECT * FROM clients
WHERE realm_name = @realm_name
ORDER BY client_id
OFFSET @first LIMIT @max;

-- name: ListClientsByClientID :many
SELECT * FROM clients
WHERE realm_name = @realm_name AND client_id = @client_id
ORDER BY client_id
OFFSET @first LIMIT @max;

-- name: SearchClients :many
-- A case-insensitive substring match; strpos has no wildcards to escape.
SELECT * FROM clients
WHERE realm_name = @realm_name AND strpos(lower(client_id), lower(@search::text)) > 0
ORDER BY client_id
OFFSET @first LIMIT @max;

-- name: UpdateClient :execrows
UPDATE clients SET
	client_id = @client_id,
	name = @name,
	description = @description,
	enabled = @enabled,
	public_client = @public_client,
	bearer_only = @bearer_only,
	standard_flow_enabled = @standard_flow_enabled,
	direct_access_grants_enabled = @direct_access_grants_enabled,
	service_accounts_enabled = @service_accounts_enabled,
	redirect_uris = @redirect_uris,
	web_origins = @web_origins,
	root_url = @root_url,
	base_url = @base_url,
	attributes = @attributes,
	default_client_scopes = @default_client_scopes,
	optional_client_scopes = @optional_client_scopes,
	secret_hash = @secret_hash,
	sealed_secret = @sealed_secret,
	extra = @extra,
	full_scope_allowed = @full_scope_allowed,
	updated_at = @updated_at
WHERE realm_name = @realm_name AND id = @id;

-- name: DeleteClient :execrows
DELETE FROM clients WHERE realm_name = @realm_name AND id = @id;

-- name: DeleteRealmClients :execrows
DELETE FROM clients WHERE realm_name = @realm_name;

-- name: CreateClientsIfAbsent :many
-- Inserts clients of realm @realm_name (@rows: a JSON array of clients
-- rows, as jsonb_populate_recordset reads them) except those whose clientId
-- the realm has, and writes to the outbox the events (iampg.OutboxRows)
-- whose @owners entry is the id of a client it inserted, in one statement;
-- it returns the inserted ids. pg_notify(@channel) wakes the relays at
-- commit, as iampg.Write.
WITH created AS (
	INSERT INTO clients (
		realm_name, id, client_id, name, description, enabled, public_client, bearer_only,
		standard_flow_enabled, direct_access_grants_enabled, service_accounts_enabled,
		redirect_uris, web_origins, root_url, base_url, attributes,
		default_client_scopes, optional_client_scopes, secret_hash, sealed_secret, created_at, updated_at, extra,
	full_scope_allowed
	)
	SELECT @realm_name, r.id, r.client_id, r.name, r.description, r.enabled, r.public_client, r.bearer_only,
		r.standard_flow_enabled, r.direct_access_grants_enabled, r.service_accounts_enabled,
		r.redirect_uris, r.web_origins, r.root_url, r.base_url, r.attributes,
		r.default_client_scopes, r.optional_client_scopes, r.secret_hash, r.sealed_secret, r.created_at, r.updated_at, r.extra,
		r.full_scope_allowed
	FROM jsonb_populate_recordset(NULL::clients, @rows::jsonb) AS r
	ON CONFLICT ON CONSTRAINT clients_realm_client_id_key DO NOTHING
	RETURNING id
), written AS (
	INSERT INTO outbox (event_id, topic, realm_name, key, payload)
	SELECT e.event_id, e.topic, e.realm_name, e.key, e.payload FROM (
		-- Set-returning functions in one select list run in lockstep.
		SELECT unnest(@event_ids::uuid[]) AS event_id, unnest(@topics::text[]) AS topic,
			unnest(@realms::text[]) AS realm_name, unnest(@keys::text[]) AS key,
			unnest(@payloads::jsonb[]) AS payload, unnest(@owners::text[]) AS owner
	) AS e
	WHERE e.owner IN (SELECT id FROM created)
)
SELECT created.id FROM created, (SELECT pg_notify(@channel::text, '')) AS notified;
