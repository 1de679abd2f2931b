-- The transactional outbox: producers insert events here in the transaction
-- of the change they describe; iampg.Relay publishes and marks them sent.
CREATE TABLE outbox (
	id         bigserial PRIMARY KEY,
	event_id   uuid        NOT NULL UNIQUE,
	topic      text        NOT NULL,
	realm_name text        NOT NULL,
	key        text        NOT NULL,
	payload    jsonb       NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	sent_at    timestamptz,
	attempts   integer     NOT NULL DEFAULT 0,
	last_error text
);

-- The relay claims unsent rows in id order.
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- The relay defers a row while an earlier unsent row of the same key is
-- claimed by another relay, so events of one key are published in order.
CREATE INDEX outbox_unsent_key ON outbox (key, id) WHERE sent_at IS NULL;

---- create above / drop below ----

DROP TABLE outbox;
