package iampg

import (
	"encoding/json"

	"github.com/opengate-iam/opengate/iam"
)

// ExtraJSON returns e as the value of an `extra jsonb NOT NULL` column: a
// JSON object, {} when e is empty. A value that is not JSON is CodeInvalid
// naming its field (iamhttp.DecodeRepresentation never gives one).
func ExtraJSON(op string, e iam.Extra) ([]byte, error) {
	if len(e) == 0 {
		return []byte("{}"), nil
	}
	for k, v := range e {
		if !json.Valid(v) {
			return nil, &iam.Error{Code: iam.CodeInvalid, Op: op, Field: k, Message: k + " is not a JSON value"}
		}
	}
	return json.Marshal(e)
}

// ParseExtra reads an extra column written by ExtraJSON; nil when it holds
// no field. A malformed column is CodeInternal.
func ParseExtra(op string, b []byte) (iam.Extra, error) {
	var e iam.Extra
	if len(b) > 0 {
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "stored representation fields are malformed", Err: err}
		}
	}
	if len(e) == 0 {
		return nil, nil
	}
	return e, nil
}
