package iamkafka_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestPublishWritesCloudEventRecords(t *testing.T) {
	seeds := iamtest.Kafka(t, iam.TopicUserCreated)
	p := iamkafka.NewPublisher(newClient(t, seeds))
	e1 := event(t, iam.TopicUserCreated, "user-1", 1)
	e2 := event(t, iam.TopicUserCreated, "user-2", 2)
	publish(t, p, e1, e2)

	recs := readRecords(t, seeds, iam.TopicUserCreated, 2)
	for i, want := range []iam.Event{e1, e2} {
		r := recs[i]
		if r.Topic != want.Type || string(r.Key) != "acme/"+want.Subject {
			t.Errorf("record %d: topic %q key %q", i, r.Topic, r.Key)
		}
		var got iam.Event
		if err := json.Unmarshal(r.Value, &got); err != nil {
			t.Fatalf("record %d value is not an event: %v", i, err)
		}
		if got.ID != want.ID || got.SpecVersion != "1.0" || got.Realm != want.Realm ||
			got.Subject != want.Subject || !got.Time.Equal(want.Time) || string(got.Data) != string(want.Data) {
			t.Errorf("record %d decodes to %+v, want %+v", i, got, want)
		}
		if v := header(t, r, iamkafka.HeaderType); v != want.Type {
			t.Errorf("ce_type = %q", v)
		}
		if v := header(t, r, iamkafka.HeaderID); v != want.ID {
			t.Errorf("ce_id = %q", v)
		}
		if v := header(t, r, iamkafka.HeaderContentType); v != iamkafka.ContentType {
			t.Errorf("content-type = %q", v)
		}
	}
}

// A trace in the publishing context, or already in the event, travels in
// the record: in the event and in the traceparent header.
func TestPublishCarriesTheTraceContext(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	seeds := iamtest.Kafka(t, iam.TopicUserCreated)
	p := iamkafka.NewPublisher(newClient(t, seeds))
	if err := p.Publish(iam.WithTraceParent(context.Background(), tp), event(t, iam.TopicUserCreated, "user-1", 1)); err != nil {
		t.Fatal(err)
	}
	untraced := event(t, iam.TopicUserCreated, "user-2", 2)
	publish(t, p, untraced)
	recs := readRecords(t, seeds, iam.TopicUserCreated, 2)
	var got iam.Event
	if err := json.Unmarshal(recs[0].Value, &got); err != nil || got.TraceParent != tp || header(t, recs[0], iamkafka.HeaderTraceParent) != tp {
		t.Fatalf("traced record: event %+v (%v), header %q", got, err, header(t, recs[0], iamkafka.HeaderTraceParent))
	}
	for _, h := range recs[1].Headers {
		if h.Key == iamkafka.HeaderTraceParent {
			t.Fatalf("an untraced event got a traceparent header %q", h.Value)
		}
	}
}

func TestPublishRejectsInvalidEvents(t *testing.T) {
	seeds := iamtest.Kafka(t)
	p := openPublisher(t, seeds)
	valid := event(t, "t", "k", 1)
	noType, badType, noID := valid, valid, valid
	noType.Type = ""
	badType.Type = "user created!"
	noID.ID = ""
	tests := []struct {
		name   string
		events []iam.Event
		field  string
	}{
		{"NoType", []iam.Event{valid, noType}, "type"},
		{"TypeNotATopicName", []iam.Event{badType}, "type"},
		{"NoID", []iam.Event{noID}, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Publish(context.Background(), tt.events...)
			if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != tt.field {
				t.Errorf("got %v (field %q), want invalid %q", err, iam.ErrorField(err), tt.field)
			}
		})
	}
}

// refuseProduce makes the cluster answer every produce request with code for
// every partition.
func refuseProduce(c *kfake.Cluster, code int16) {
	c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
}

func TestPublishReturnsWhenBrokerRefuses(t *testing.T) {
	tests := []struct {
		name     string
		refuse   func(*kfake.Cluster)
		deadline time.Duration // of Publish's ctx
		code     iam.Code
		cause    error
	}{
		{
			// Retriable: franz-go would retry for ever; ctx must end it.
			name:     "NotEnoughReplicas",
			refuse:   func(c *kfake.Cluster) { refuseProduce(c, kerr.NotEnoughReplicas.Code) },
			deadline: 300 * time.Millisecond,
			code:     iam.CodeUnavailable,
			cause:    context.DeadlineExceeded,
		},
		{
			name: "NeverAnswers",
			refuse: func(c *kfake.Cluster) {
				c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
					c.KeepControl()
					return nil, nil, true // swallow the request
				})
			},
			deadline: 300 * time.Millisecond,
			code:     iam.CodeUnavailable,
			cause:    context.DeadlineExceeded,
		},
		{
			// Not retriable: the broker's error comes back long before ctx ends.
			name:     "InvalidRecord",
			refuse:   func(c *kfake.Cluster) { refuseProduce(c, kerr.InvalidRecord.Code) },
			deadline: hangGuard,
			code:     iam.CodeInvalid,
			cause:    kerr.InvalidRecord,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := iamtest.KafkaCluster(t, "t")
			seeds := c.ListenAddrs()
			client := newClient(t, seeds)
			// Warm up metadata and the producer id, so the refusal hits Produce.
			if err := client.ProduceSync(context.Background(), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr(); err != nil {
				t.Fatal(err)
			}
			tt.refuse(c)
			p := iamkafka.NewPublisher(client)
			ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			err := p.Publish(ctx, event(t, "t", "k", 1))
			if iam.ErrorCode(err) != tt.code || !errors.Is(err, tt.cause) {
				t.Fatalf("Publish returned %v, want %s caused by %v", err, tt.code, tt.cause)
			}
		})
	}
}

func TestPublishTimeoutBoundsContextWithoutDeadline(t *testing.T) {
	c := iamtest.KafkaCluster(t, "t")
	refuseProduce(c, kerr.NotEnoughReplicas.Code)
	p := iamkafka.NewPublisher(newClient(t, c.ListenAddrs()), iamkafka.WithPublishTimeout(200*time.Millisecond))
	err := p.Publish(context.Background(), event(t, "t", "k", 1))
	if iam.ErrorCode(err) != iam.CodeUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish returned %v, want unavailable after the publish timeout", err)
	}
}

func TestPublishWithCancelledContextProducesNothing(t *testing.T) {
	c := iamtest.KafkaCluster(t, "t")
	p := iamkafka.NewPublisher(newClient(t, c.ListenAddrs()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Publish(ctx, event(t, "t", "k", 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish returned %v", err)
	}
	// A later publish goes through, and its event is the topic's first record.
	publish(t, p, event(t, "t", "k", 2))
	recs := readRecords(t, c.ListenAddrs(), "t", 1)
	var got iam.Event
	if err := json.Unmarshal(recs[0].Value, &got); err != nil || seq(t, got) != 2 {
		t.Errorf("first record is %s, want event 2", recs[0].Value)
	}
}

func TestOpenPublisherRequiresSeeds(t *testing.T) {
	_, err := iamkafka.OpenPublisher(nil)
	if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "seeds" {
		t.Fatalf("got %v", err)
	}
}

func TestDLQTopic(t *testing.T) {
	if got := iamkafka.DLQTopic("user.created"); got != "user.created.dlq" {
		t.Errorf("DLQTopic = %q", got)
	}
}
