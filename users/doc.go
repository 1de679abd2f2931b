// Package users is OpenGate's users service: domain types, the Store interface
// every backend implements, and the Service with its rules.
package users
