-- rbac's tables. Every table is realm-scoped: realm_name leads every key.

-- What rbac knows of clients: their public clientId, learnt from client.*
-- events, to key client roles by clientId in tokens.
CREATE TABLE rbac_clients (
	realm_name text NOT NULL,
	id         text NOT NULL, -- client UUID
	client_id  text NOT NULL, -- public clientId
	PRIMARY KEY (realm_name, id)
);

CREATE INDEX rbac_clients_client_id ON rbac_clients (realm_name, client_id);

-- Realm roles (client_uuid = '') and client roles (client_uuid = the
-- client's UUID). A client role's client is checked (and locked) by the
-- store on insert; deleting a client deletes its roles explicitly.
CREATE TABLE rbac_roles (
	realm_name  text        NOT NULL,
	id          text        NOT NULL,
	client_uuid text        NOT NULL DEFAULT '',
	name        text        NOT NULL,
	description text        NOT NULL DEFAULT '',
	attributes  jsonb       NOT NULL DEFAULT '{}',
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL,
	PRIMARY KEY (realm_name, id),
	CONSTRAINT rbac_roles_name_key UNIQUE (realm_name, client_uuid, name)
);

-- Composite edges: parent contains child. Acyclic (the store checks under a
-- per-realm advisory lock). Deleting a role deletes its edges.
CREATE TABLE rbac_composites (
	realm_name text NOT NULL,
	parent_id  text NOT NULL,
	child_id   text NOT NULL,
	PRIMARY KEY (realm_name, parent_id, child_id),
	FOREIGN KEY (realm_name, parent_id) REFERENCES rbac_roles (realm_name, id) ON DELETE CASCADE,
	FOREIGN KEY (realm_name, child_id) REFERENCES rbac_roles (realm_name, id) ON DELETE CASCADE
);

CREATE INDEX rbac_composites_child ON rbac_composites (realm_name, child_id);

-- Role mappings of principals. principal_type is 'user' or
-- 'service_account' (principal_id = client UUID); groups will add 'group'
-- and a group-membership table, without changing this one.
CREATE TABLE rbac_mappings (
	realm_name     text NOT NULL,
	principal_type text NOT NULL,
	principal_id   text NOT NULL,
	role_id        text NOT NULL,
	PRIMARY KEY (realm_name, principal_type, principal_id, role_id),
	FOREIGN KEY (realm_name, role_id) REFERENCES rbac_roles (realm_name, id) ON DELETE CASCADE
);

CREATE INDEX rbac_mappings_role ON rbac_mappings (realm_name, role_id, principal_type, principal_id);

-- Roles as the Store returns them: with the owning client's clientId and
-- whether the role is composite.
CREATE VIEW rbac_role_view AS
SELECT r.realm_name, r.id, r.client_uuid, r.name, r.description, r.attributes,
	r.created_at, r.updated_at,
	COALESCE(c.client_id, '')::text AS client_id,
	EXISTS (SELECT 1 FROM rbac_composites k
		WHERE k.realm_name = r.realm_name AND k.parent_id = r.id)::boolean AS composite
FROM rbac_roles r
LEFT JOIN rbac_clients c ON c.realm_name = r.realm_name AND c.id = r.client_uuid;

---- create above / drop below ----

DROP VIEW rbac_role_view;
DROP TABLE rbac_mappings;
DROP TABLE rbac_composites;
DROP TABLE rbac_roles;
DROP TABLE rbac_clients;
