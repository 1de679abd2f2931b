package boot

import (
	"fmt"
	"strconv"
)

// MFALogCodes reads OPENGATE_MFA_LOG_CODES, a development setting (default
// false): when true, the log sender of the MFA service writes email codes
// in clear ("code sent to a…@example.com" with code=...), so that a local
// deployment without the notification service can sign in with them. Never
// set it where others read the logs: they could pass the second factor.
func MFALogCodes(getenv func(string) string) (bool, error) {
	v := getenv("OPENGATE_MFA_LOG_CODES")
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("OPENGATE_MFA_LOG_CODES: %q is not a boolean", v)
	}
	return b, nil
}
