package iamkafka_test

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
)

func Example() {
	// An in-process Kafka-protocol broker stands in for a real cluster.
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, iam.TopicUserCreated))
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	seeds := cluster.ListenAddrs()

	pub, err := iamkafka.OpenPublisher(seeds)
	if err != nil {
		panic(err)
	}
	defer pub.Close()
	e, err := iam.NewEvent("/opengate/users", iam.TopicUserCreated, "acme", "user-1", map[string]string{"username": "alice"})
	if err != nil {
		panic(err)
	}
	if err := pub.Publish(context.Background(), e); err != nil {
		panic(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	sub := iamkafka.NewSubscriber(seeds)
	err = sub.Subscribe(ctx, "welcome-mail", []string{iam.TopicUserCreated}, func(_ context.Context, e iam.Event) error {
		var u struct{ Username string }
		if err := e.Decode(&u); err != nil {
			return err
		}
		fmt.Println("welcome", u.Username, "to", e.Realm)
		cancel() // stop after one event: commits it and leaves the group
		return nil
	})
	fmt.Println(err)
	// Output:
	// welcome alice to acme
	// context canceled
}
