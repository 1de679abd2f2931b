package iampg_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
)

func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://localhost:5432/opengate_users")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	// Normally embedded: //go:embed migrations/*.sql
	migrations := fstest.MapFS{
		"001_create_users.sql": {Data: []byte(`CREATE TABLE users (id uuid PRIMARY KEY, realm_name text NOT NULL, username text NOT NULL, UNIQUE (realm_name, username))`)},
	}
	if err := iampg.Migrate(ctx, pool, migrations, "users"); err != nil {
		log.Fatal(err)
	}

	var publisher iam.Publisher // an iamkafka.Publisher or an iambus.Bus
	go iampg.NewRelay(pool, publisher).Run(ctx)

	id := iam.NewID()
	event, err := iam.NewEvent("/opengate/users", iam.TopicUserCreated, "acme", id, map[string]string{"username": "alice"})
	if err != nil {
		log.Fatal(err)
	}
	err = iampg.WithTx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, realm_name, username) VALUES ($1, $2, $3)`, id, "acme", "alice"); err != nil {
			return err
		}
		return iampg.Write(ctx, tx, event)
	})
	if errors.Is(err, iam.ErrConflict) {
		fmt.Println("username taken")
	}
}

func ExampleMapError() {
	err := iampg.MapError("users.Get", pgx.ErrNoRows)
	fmt.Println(iam.ErrorCode(err), errors.Is(err, iam.ErrNotFound))
	// Output: not_found true
}

func ExampleOnceHandler() {
	ctx := context.Background()
	var pool *pgxpool.Pool // the service's pool
	var bus iam.Subscriber // an iamkafka.Subscriber or an iambus.Bus
	handler := iampg.OnceHandler(pool, "users", func(ctx context.Context, tx pgx.Tx, e iam.Event) error {
		_, err := tx.Exec(ctx, `DELETE FROM users WHERE realm_name = $1`, string(e.Realm))
		return err
	})
	go bus.Subscribe(ctx, "users", []string{iam.TopicRealmDeleted}, handler)
}
