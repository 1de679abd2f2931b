// Package iam is OpenGate's shared kernel: the one error type with its codes,
// realm names, the authenticated Principal, the CloudEvents envelope with the
// topic names, and the Publisher/Subscriber interfaces every bus implements.
//
// It depends only on the standard library and github.com/google/uuid, so every
// service package can import it.
//
// Errors carry a code that every boundary translates exactly once:
//
//	if u == nil {
//		return iam.NotFoundf("user %s not found", id)
//	}
//	...
//	if errors.Is(err, iam.ErrNotFound) { ... }
//	status := iamhttp.Status(iam.ErrorCode(err))
package iam
