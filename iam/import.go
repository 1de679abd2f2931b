package iam

// ImportMode says what an import does with an object that exists already
// (Keycloak's partialImport ifResourceExists).
type ImportMode string

// Import modes.
const (
	// ImportFail fails the whole import with CodeConflict.
	ImportFail ImportMode = "FAIL"
	// ImportSkip leaves the existing object as it is.
	ImportSkip ImportMode = "SKIP"
	// ImportOverwrite replaces the existing object's fields, keeping its
	// id.
	ImportOverwrite ImportMode = "OVERWRITE"
)

// ParseImportMode reads Keycloak's ifResourceExists: FAIL, SKIP or
// OVERWRITE, "" meaning FAIL. Anything else is CodeInvalid (field
// "ifResourceExists").
func ParseImportMode(s string) (ImportMode, error) {
	switch m := ImportMode(s); m {
	case "":
		return ImportFail, nil
	case ImportFail, ImportSkip, ImportOverwrite:
		return m, nil
	}
	return "", Invalidf("ifResourceExists", "ifResourceExists must be FAIL, SKIP or OVERWRITE")
}

// ImportAction is what an import did with one object (Keycloak's
// partialImport result actions).
type ImportAction string

// Import actions.
const (
	ImportAdded       ImportAction = "ADDED"
	ImportSkipped     ImportAction = "SKIPPED"
	ImportOverwritten ImportAction = "OVERWRITTEN"
)
