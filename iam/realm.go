package iam

// Realm is the name of a tenant. Every resource belongs to exactly one realm,
// and every service method that touches a resource takes the Realm first.
// Realm names are 1–63 characters of lowercase letters, digits and '-', not
// starting or ending with '-'.
type Realm string

// MasterRealm administers every other realm.
const MasterRealm Realm = "master"

// ParseRealm validates s as a realm name.
func ParseRealm(s string) (Realm, error) {
	if err := Realm(s).Validate(); err != nil {
		return "", err
	}
	return Realm(s), nil
}

// Validate reports whether r is a well-formed realm name (CodeInvalid, field
// "realm", if not).
func (r Realm) Validate() error {
	s := string(r)
	if len(s) < 1 || len(s) > 63 {
		return Invalidf("realm", "realm name must be 1 to 63 characters")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0 && i < len(s)-1:
		default:
			return Invalidf("realm", "realm name may contain only lowercase letters, digits and '-' (not at either end)")
		}
	}
	return nil
}

// String returns the realm name.
func (r Realm) String() string { return string(r) }
