-- Groups (Keycloak's): a tree per realm. parent_id is '' for a top-level
-- group. path ("/top/sub") is stored for every group and kept current for
-- a whole subtree by renames and moves; creations, renames, moves,
-- deletions and imports of a realm's groups are serialized by a per-realm
-- advisory lock, so paths never go stale. path is in the C collation so
-- that starts_with(path, ...) uses the index and paths sort bytewise.
CREATE TABLE rbac_groups (
	realm_name  text             NOT NULL,
	id          text             NOT NULL,
	parent_id   text             NOT NULL DEFAULT '',
	name        text             NOT NULL,
	path        text COLLATE "C" NOT NULL,
	description text             NOT NULL DEFAULT '',
	attributes  jsonb            NOT NULL DEFAULT '{}',
	extra       jsonb            NOT NULL DEFAULT '{}',
	created_at  timestamptz      NOT NULL,
	updated_at  timestamptz      NOT NULL,
	PRIMARY KEY (realm_name, id),
	CONSTRAINT rbac_groups_name_key UNIQUE (realm_name, parent_id, name)
);

CREATE UNIQUE INDEX rbac_groups_path ON rbac_groups (realm_name, path);

-- Direct memberships: user_id is a user id, or
-- "service-account-{clientUUID}". Deleting a group deletes them; deleting a
-- user (user.deleted) or a client deletes them explicitly.
CREATE TABLE rbac_group_members (
	realm_name text NOT NULL,
	group_id   text NOT NULL,
	user_id    text NOT NULL,
	PRIMARY KEY (realm_name, group_id, user_id),
	FOREIGN KEY (realm_name, group_id) REFERENCES rbac_groups (realm_name, id) ON DELETE CASCADE
);

CREATE INDEX rbac_group_members_user ON rbac_group_members (realm_name, user_id, group_id);

-- Roles mapped to groups are rows of rbac_mappings with principal_type
-- 'group' and principal_id the group id (no foreign key: the store locks
-- the group while mapping and deletes a deleted group's mappings).

-- Groups as the Store returns them: with the number of direct subgroups.
CREATE VIEW rbac_group_view AS
SELECT g.realm_name, g.id, g.parent_id, g.name, g.path, g.description, g.attributes, g.extra,
	g.created_at, g.updated_at,
	(SELECT count(*) FROM rbac_groups c
		WHERE c.realm_name = g.realm_name AND c.parent_id = g.id)::integer AS sub_group_count
FROM rbac_groups g;

---- create above / drop below ----

DROP VIEW rbac_group_view;
DROP TABLE rbac_group_members;
DELETE FROM rbac_mappings WHERE principal_type = 'group';
DROP TABLE rbac_groups;
