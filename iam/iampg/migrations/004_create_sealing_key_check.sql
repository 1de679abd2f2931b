-- sqlcheck:global sealing_key_check
-- The deployment key's check value: a constant sealed under the key this
-- database's secrets are sealed with, written at first start. A process whose
-- key does not open it refuses to start (iampg.CheckSealingKey). One row.
CREATE TABLE sealing_key_check (
	id         boolean     PRIMARY KEY DEFAULT true CHECK (id),
	sealed     bytea       NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

---- create above / drop below ----

DROP TABLE sealing_key_check;
