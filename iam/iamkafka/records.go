package iamkafka

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/iam"
)

// Record headers. An event record's value is the event in CloudEvents
// structured JSON; its key is event.Key() (realm/subject), its topic
// event.Type. The ce_ headers repeat the event's type and id so that tools
// can route and deduplicate without parsing the value.
const (
	HeaderContentType = "content-type"
	HeaderType        = "ce_type"
	HeaderID          = "ce_id"
	// HeaderTraceParent carries the event's W3C traceparent (the
	// CloudEvents Kafka binding's name for the distributed tracing
	// extension), when it has one.
	HeaderTraceParent = "traceparent"

	// Headers added to a dead-lettered record, beside the original ones.
	HeaderError     = "opengate-error"     // why the record was given up on
	HeaderGroup     = "opengate-group"     // the consumer group that gave up
	HeaderTopic     = "opengate-topic"     // the topic it was consumed from
	HeaderPartition = "opengate-partition" // its partition there (decimal)
	HeaderOffset    = "opengate-offset"    // its offset there (decimal)
	HeaderAttempts  = "opengate-attempts"  // handler calls made (0: malformed)
)

// ContentType is the content-type header of every event record.
const ContentType = "application/cloudevents+json; charset=UTF-8"

// DLQSuffix is appended to a topic to name its dead-letter topic.
const DLQSuffix = ".dlq"

// DLQTopic returns the dead-letter topic of topic: topic + ".dlq".
func DLQTopic(topic string) string { return topic + DLQSuffix }

// newRecord encodes e as a record. Errors: CodeInvalid if e has no valid type
// (a Kafka topic name) or no id.
func newRecord(e iam.Event) (*kgo.Record, error) {
	if err := validTopic(e.Type); err != nil {
		return nil, err
	}
	if e.ID == "" {
		return nil, iam.Invalidf("id", "event id is required")
	}
	value, err := json.Marshal(e)
	if err != nil {
		return nil, &iam.Error{Code: iam.CodeInvalid, Message: "event cannot be encoded", Err: err}
	}
	r := &kgo.Record{
		Topic: e.Type,
		Key:   []byte(e.Key()),
		Value: value,
		Headers: []kgo.RecordHeader{
			{Key: HeaderContentType, Value: []byte(ContentType)},
			{Key: HeaderType, Value: []byte(e.Type)},
			{Key: HeaderID, Value: []byte(e.ID)},
		},
	}
	if e.TraceParent != "" {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderTraceParent, Value: []byte(e.TraceParent)})
	}
	return r, nil
}

// errMalformed marks a record that is not an OpenGate CloudEvent.
var errMalformed = errors.New("malformed event record")

// decodeRecord decodes r's value as a CloudEvent; a record that is not one
// (bad JSON, wrong specversion, no id or type) gives an error wrapping
// errMalformed.
func decodeRecord(r *kgo.Record) (iam.Event, error) {
	var e iam.Event
	if err := json.Unmarshal(r.Value, &e); err != nil {
		return iam.Event{}, errors.Join(errMalformed, err)
	}
	switch {
	case e.SpecVersion != "1.0":
		return iam.Event{}, errors.Join(errMalformed, errors.New("specversion is not 1.0"))
	case e.ID == "":
		return iam.Event{}, errors.Join(errMalformed, errors.New("no id"))
	case e.Type == "":
		return iam.Event{}, errors.Join(errMalformed, errors.New("no type"))
	}
	return e, nil
}

// deadLetterRecord returns the record to produce to r's dead-letter topic:
// r's key, value and headers plus why and where it failed.
func deadLetterRecord(r *kgo.Record, group string, attempts int, cause error) *kgo.Record {
	headers := make([]kgo.RecordHeader, 0, len(r.Headers)+6)
	for _, h := range r.Headers {
		switch h.Key {
		case HeaderError, HeaderGroup, HeaderTopic, HeaderPartition, HeaderOffset, HeaderAttempts:
			// a record dead-lettered again describes its latest failure
		default:
			headers = append(headers, h)
		}
	}
	headers = append(headers,
		kgo.RecordHeader{Key: HeaderError, Value: []byte(cause.Error())},
		kgo.RecordHeader{Key: HeaderGroup, Value: []byte(group)},
		kgo.RecordHeader{Key: HeaderTopic, Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: HeaderPartition, Value: []byte(strconv.Itoa(int(r.Partition)))},
		kgo.RecordHeader{Key: HeaderOffset, Value: []byte(strconv.FormatInt(r.Offset, 10))},
		kgo.RecordHeader{Key: HeaderAttempts, Value: []byte(strconv.Itoa(attempts))},
	)
	return &kgo.Record{Topic: DLQTopic(r.Topic), Key: r.Key, Value: r.Value, Headers: headers}
}

// validTopic checks a Kafka topic name: 1–249 of [a-zA-Z0-9._-], not "." or "..".
func validTopic(t string) error {
	if t == "" || len(t) > 249 || t == "." || t == ".." {
		return iam.Invalidf("type", "event type must be a valid topic name")
	}
	for i := 0; i < len(t); i++ {
		if !topicByte(t[i]) {
			return iam.Invalidf("type", "event type must be a valid topic name")
		}
	}
	return nil
}

// Header returns the value of the first header of r named key, and whether
// there is one.
func Header(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}
