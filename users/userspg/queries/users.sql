-- name: CreateUser :exec
INSERT INTO users (realm_name, id, username, email, email_key, email_verified, first_name, last_name,
	enabled, attributes, required_actions, created_at, updated_at, extra)
VALUES (@realm_name, @id, @username, @email, sqlc.narg(email_key), @email_verified, @first_name, @last_name,
	@enabled, @attributes, @required_actions, @created_at, @updated_at, @extra);

-- name: GetUser :one
SELECT * FROM users WHERE realm_name = @realm_name AND id = @id;

-- name: GetUserForUpdate :one
SELECT * FROM users WHERE realm_name = @realm_name AND id = @id FOR UPDATE;

-- name: GetUserByUsername :one
SELECT * FROM users WHERE realm_name = @realm_name AND username = @username;

-- name: GetUserByUsernameForUpdate :one
SELECT * FROM users WHERE realm_name = @realm_name AND username = @username FOR UPDATE;

-- name: GetUsersByEmail :many
SELECT * FROM users WHERE realm_name = @realm_name AND email = @email ORDER BY id LIMIT 2;

-- name: UpdateUser :execrows
UPDATE users SET username = @username, email = @email, email_key = sqlc.narg(email_key),
	email_verified = @email_verified, first_name = @first_name, last_name = @last_name, enabled = @enabled,
	attributes = @attributes, required_actions = @required_actions, extra = @extra, updated_at = @updated_at
WHERE realm_name = @realm_name AND id = @id;

-- name: SetRequiredActions :execrows
UPDATE users SET required_actions = @required_actions
WHERE realm_name = @realm_name AND id = @id;

-- name: DeleteUser :execrows
DELETE FROM users WHERE realm_name = @realm_name AND id = @id;

-- name: DeleteRealmUsers :execrows
DELETE FROM users WHERE realm_name = @realm_name;

-- Listing and search. Each pattern is a LIKE pattern built by the store
-- (escaped with backslash); an empty pattern means no filter. Names are
-- compared lowercased.

-- ListUsers pages through the realm in username order (the unique index)
-- with at most the boolean filters.
-- name: ListUsers :many
SELECT * FROM users
WHERE realm_name = @realm_name
	AND (sqlc.narg(enabled)::boolean IS NULL OR enabled = sqlc.narg(enabled))
	AND (sqlc.narg(email_verified)::boolean IS NULL OR email_verified = sqlc.narg(email_verified))
ORDER BY username
LIMIT @max_rows OFFSET @first_row;

-- SearchUsers first collects the matches through the search indexes (the
-- MATERIALIZED CTE keeps the planner from walking the username index and
-- filtering, which is slow when matches are rare or clustered), then sorts
-- and pages them.
-- name: SearchUsers :many
WITH matched AS MATERIALIZED (
	SELECT * FROM users
	WHERE realm_name = @realm_name
		AND (@search::text = '' OR username LIKE @search OR email LIKE @search
			OR lower(first_name) LIKE @search OR lower(last_name) LIKE @search)
		AND (@username_pattern::text = '' OR username LIKE @username_pattern)
		AND (@email_pattern::text = '' OR email LIKE @email_pattern)
		AND (@first_name_pattern::text = '' OR lower(first_name) LIKE @first_name_pattern)
		AND (@last_name_pattern::text = '' OR lower(last_name) LIKE @last_name_pattern)
		AND (sqlc.narg(enabled)::boolean IS NULL OR enabled = sqlc.narg(enabled))
		AND (sqlc.narg(email_verified)::boolean IS NULL OR email_verified = sqlc.narg(email_verified))
		AND (@attributes::jsonb = '{}'::jsonb OR attributes @> @attributes)
)
SELECT realm_name, id, username, email, email_key, email_verified, first_name, last_name, enabled, attributes,
	required_actions, created_at, updated_at, extra
FROM matched
ORDER BY username
LIMIT @max_rows OFFSET @first_row;

-- SearchUsersWalk pages the matches among the realm's first @walk_rows
-- users in username order, an index-only scan of users_username_key
-- (which covers every column filtered here; attribute filters are not
-- walked), then reads the page's users. When it returns a full page, that
-- page is the answer: every match before its last username is among the
-- users walked.
-- name: SearchUsersWalk :many
WITH page AS (
	SELECT walked.id, walked.username
	FROM (SELECT id, username, email, first_name, last_name, enabled, email_verified FROM users
		WHERE realm_name = @realm_name ORDER BY username LIMIT @walk_rows) AS walked
	WHERE (@search::text = '' OR walked.username LIKE @search OR walked.email LIKE @search
			OR lower(walked.first_name) LIKE @search OR lower(walked.last_name) LIKE @search)
		AND (@username_pattern::text = '' OR walked.username LIKE @username_pattern)
		AND (@email_pattern::text = '' OR walked.email LIKE @email_pattern)
		AND (@first_name_pattern::text = '' OR lower(walked.first_name) LIKE @first_name_pattern)
		AND (@last_name_pattern::text = '' OR lower(walked.last_name) LIKE @last_name_pattern)
		AND (sqlc.narg(enabled)::boolean IS NULL OR walked.enabled = sqlc.narg(enabled))
		AND (sqlc.narg(email_verified)::boolean IS NULL OR walked.email_verified = sqlc.narg(email_verified))
	ORDER BY walked.username
	LIMIT @max_rows OFFSET @first_row
)
SELECT u.realm_name, u.id, u.username, u.email, u.email_key, u.email_verified, u.first_name, u.last_name, u.enabled,
	u.attributes, u.required_actions, u.created_at, u.updated_at, u.extra
FROM page JOIN users AS u ON u.realm_name = @realm_name AND u.id = page.id
ORDER BY u.username;

-- name: CountUsers :one
SELECT count(*) FROM users
WHERE realm_name = @realm_name
	AND (@search::text = '' OR username LIKE @search OR email LIKE @search
		OR lower(first_name) LIKE @search OR lower(last_name) LIKE @search)
	AND (@username_pattern::text = '' OR username LIKE @username_pattern)
	AND (@email_pattern::text = '' OR email LIKE @email_pattern)
	AND (@first_name_pattern::text = '' OR lower(first_name) LIKE @first_name_pattern)
	AND (@last_name_pattern::text = '' OR lower(last_name) LIKE @last_name_pattern)
	AND (sqlc.narg(enabled)::boolean IS NULL OR enabled = sqlc.narg(enabled))
	AND (sqlc.narg(email_verified)::boolean IS NULL OR email_verified = sqlc.narg(email_verified))
	AND (@attributes::jsonb = '{}'::jsonb OR attributes @> @attributes);
