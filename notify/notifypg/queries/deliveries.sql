-- name: InsertDelivery :one
-- A delivery of an (event, kind) the realm has already is left as it is:
-- no row comes back, and the caller reads the existing one. A new
-- delivery's queue row is written by the same statement (Schedule's and
-- Unschedule's work for a new delivery: due at next_attempt_at while
-- pending, none otherwise), so enqueueing costs one round trip.
WITH inserted AS (
	INSERT INTO deliveries (
		realm_name, id, event_id, kind, user_id, recipient, status, attempts, last_error,
		next_attempt_at, created_at, updated_at, sent_at, data, sealed_link
	) VALUES (
		@realm_name, @id, @event_id, @kind, @user_id, @recipient, @status, @attempts, @last_error,
		@next_attempt_at, @created_at, @updated_at, @sent_at, @data, @sealed_link
	)
	ON CONFLICT ON CONSTRAINT deliveries_event_kind_key DO NOTHING
	RETURNING *
), queued AS (
	INSERT INTO delivery_queue (realm_name, delivery_id, due_at)
	SELECT i.realm_name, i.id, i.next_attempt_at FROM inserted i WHERE i.status = 'pending'
	ON CONFLICT (realm_name, delivery_id) DO UPDATE SET due_at = EXCLUDED.due_at, owner = NULL
), unqueued AS (
	DELETE FROM delivery_queue q
	WHERE q.realm_name = @realm_name AND q.delivery_id IN (SELECT i.id FROM inserted i WHERE i.status <> 'pending')
)
SELECT * FROM inserted;

-- name: GetDeliveryByEvent :one
SELECT * FROM deliveries WHERE realm_name = @realm_name AND event_id = @event_id AND kind = @kind;

-- name: GetDelivery :one
SELECT * FROM deliveries WHERE realm_name = @realm_name AND id = @id;

-- name: LockDelivery :one
SELECT * FROM deliveries WHERE realm_name = @realm_name AND id = @id FOR UPDATE;

-- name: ListDeliveries :many
SELECT * FROM deliveries
WHERE realm_name = @realm_name
	AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
	AND (sqlc.narg('user_id')::text IS NULL OR user_id = sqlc.narg('user_id')::text)
	AND (sqlc.narg('kind')::text IS NULL OR kind = sqlc.narg('kind')::text)
ORDER BY created_at DESC, id DESC
OFFSET @first LIMIT @max;

-- name: UpdateDelivery :exec
UPDATE deliveries SET
	user_id = @user_id, recipient = @recipient, status = @status, attempts = @attempts,
	last_error = @last_error, next_attempt_at = @next_attempt_at, updated_at = @updated_at,
	sent_at = @sent_at, data = @data, sealed_link = @sealed_link
WHERE realm_name = @realm_name AND id = @id;

-- name: StartAttempt :one
-- The worker's claim of a pending delivery: one more attempt, leased.
UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = @lease_until
WHERE realm_name = @realm_name AND id = @id AND status = 'pending'
RETURNING *;

-- name: DeleteRealmDeliveries :execrows
DELETE FROM deliveries WHERE realm_name = @realm_name;

-- name: Schedule :exec
-- A delivery's row due at @due_at, unclaimed: a change ends a claim.
INSERT INTO delivery_queue (realm_name, delivery_id, due_at) VALUES (@realm_name, @delivery_id, @due_at)
ON CONFLICT (realm_name, delivery_id) DO UPDATE SET due_at = EXCLUDED.due_at, owner = NULL;

-- name: Unschedule :exec
DELETE FROM delivery_queue WHERE realm_name = @realm_name AND delivery_id = @delivery_id;

-- name: ClaimDue :many
-- Pending deliveries of every realm due at @now, the longest due first,
-- leased until @lease_until by @owner (NULL: none); rows another worker
-- holds are skipped.
WITH due AS (
	SELECT d.realm_name AS due_realm, d.delivery_id AS due_id, d.due_at AS was_due FROM delivery_queue d
	WHERE d.due_at <= @now
	ORDER BY d.due_at, d.delivery_id
	LIMIT @max
	FOR UPDATE SKIP LOCKED
)
UPDATE delivery_queue SET due_at = @lease_until, owner = sqlc.narg('owner')
FROM due
WHERE delivery_queue.realm_name = due.due_realm AND delivery_queue.delivery_id = due.due_id
RETURNING delivery_queue.realm_name, delivery_queue.delivery_id, due.was_due;

-- name: ReleaseClaims :many
-- The leases @owner holds that have not passed at @now end: the rows are
-- due at @now, unclaimed.
UPDATE delivery_queue SET due_at = @now, owner = NULL
WHERE owner = @owner::text AND due_at > @now
RETURNING realm_name, delivery_id;

-- name: ReleaseAttempt :execrows
-- A released claim's delivery is due at @now again.
UPDATE deliveries SET next_attempt_at = @now::timestamptz
WHERE realm_name = @realm_name AND id = @id AND status = 'pending';

-- name: DeleteRealmQueue :exec
DELETE FROM delivery_queue WHERE realm_name = @realm_name;

-- name: PruneDeliveries :execrows
DELETE FROM deliveries
WHERE realm_name = @realm_name AND created_at < @before AND status <> 'pending';
