-- The clients service's consumer was renamed from "client-service" to
-- "clients" (one naming scheme: the service's package name). Events it
-- handled under the old name count as handled under the new one, so a
-- redelivery, or a renamed Kafka group re-reading retained events, does
-- not apply them again. The old rows stay (a rolled-back binary still
-- finds them) and are pruned by age like every processed_events row.
INSERT INTO processed_events (consumer, event_id, processed_at)
SELECT 'clients', event_id, processed_at FROM processed_events WHERE consumer = 'client-service'
ON CONFLICT DO NOTHING;

---- create above / drop below ----

DELETE FROM processed_events WHERE consumer = 'clients';
