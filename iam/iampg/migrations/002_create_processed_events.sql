-- Idempotent consumers: one row per (consumer, event) whose effect has been
-- committed, written in the same transaction as the effect.
CREATE TABLE processed_events (
	consumer     text        NOT NULL,
	event_id     uuid        NOT NULL,
	processed_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (consumer, event_id)
);

-- Pruning deletes by age.
CREATE INDEX processed_events_processed_at ON processed_events (processed_at);

---- create above / drop below ----

DROP TABLE processed_events;
