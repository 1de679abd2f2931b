-- Pruning deletes sent rows by age without scanning the whole table.
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;

---- create above / drop below ----

DROP INDEX outbox_sent_at;
