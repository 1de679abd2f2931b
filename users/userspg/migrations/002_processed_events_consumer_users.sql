-- The users service's consumer records handled events under its group name,
-- "users", like every consumer (it used "users.realm-deleted"). Events
-- handled under the old name count as handled under the new one, so a late
-- redelivery of realm.deleted cannot empty a realm re-created under the
-- same name. The old rows stay (a rolled-back binary still finds them) and
-- are pruned by age like every processed_events row.
INSERT INTO processed_events (consumer, event_id, processed_at)
SELECT 'users', event_id, processed_at FROM processed_events WHERE consumer = 'users.realm-deleted'
ON CONFLICT DO NOTHING;

---- create above / drop below ----

DELETE FROM processed_events WHERE consumer = 'users';
